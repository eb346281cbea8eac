import fc from 'fast-check';
import { ConcurrencyError, InvalidCommandError } from '../../../src/domain/errors';
import { verifyChain } from '../../../src/ledger/chain-verifier';
import type { NewEvent, StoredEvent } from '../../../src/domain/events';
import { EventStore } from '../../../src/ledger/event-store';
import type { AppendRequest, AppendResult, InlineProjector } from '../../../src/ledger/event-store.types';
import { GENESIS_HASH, eventHash } from '../../../src/ledger/hash-chain';
import { IdempotencyReplay } from '../../../src/ledger/idempotency';
import { canonicalize } from '../../../src/ledger/canonical-json';
import { openLedger, testMetadata, type TestLedger } from '../../support/ledger';

/** An event with arbitrary data: the store hashes and keeps any JSON data. */
const ev = (data: unknown, type: NewEvent['type'] = 'EvidenceRetracted'): NewEvent => ({ type, data }) as NewEvent;

function appendReq(streamId: string, expectedVersion: AppendRequest['expectedVersion'], events: NewEvent[], extra: Partial<AppendRequest> = {}): AppendRequest {
  return { streamId, expectedVersion, events, metadata: testMetadata(), ...extra };
}

async function allEvents(l: TestLedger): Promise<StoredEvent[]> {
  return l.reader.readAfter(0, 100_000);
}

async function rowCount(l: TestLedger): Promise<number> {
  const rows = await l.ds.query('SELECT COUNT(*) AS n FROM events');
  return rows[0].n;
}

describe('EventStore on a real SQLite file', () => {
  let l: TestLedger;
  beforeEach(async () => {
    l = await openLedger();
  });
  afterEach(async () => {
    await l.close();
  });

  it('appends to a new stream: positions from 1, versions from 1, chained from 64 zeros', async () => {
    const r = await l.store.append(appendReq('claim-a', 0, [ev({ n: 1 }), ev({ n: 2 })]));
    expect(r).toMatchObject({ streamId: 'claim-a', version: 2, position: 2 });
    expect(r.events.map((e) => [e.position, e.streamVersion])).toEqual([[1, 1], [2, 2]]);
    expect(r.events[0].prevHash).toBe(GENESIS_HASH);
    expect(r.events[1].prevHash).toBe(r.events[0].hash);

    const stored = await l.reader.readStream('claim-a');
    expect(stored).toEqual(r.events);
    expect(stored.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(stored[0].metadata).toEqual(testMetadata());
    expect(stored[0].hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored[0].hash).toBe(
      eventHash({
        position: 1,
        streamId: 'claim-a',
        streamVersion: 1,
        type: stored[0].type,
        dataJson: canonicalize(stored[0].data),
        metadataJson: canonicalize(stored[0].metadata),
        recordedAt: stored[0].recordedAt,
        prevHash: GENESIS_HASH,
      }),
    );

    const r2 = await l.store.append(appendReq('claim-b', 0, [ev({ n: 3 })]));
    expect(r2.position).toBe(3);
    expect(r2.events[0].prevHash).toBe(r.events[1].hash);
    expect(await l.reader.head()).toEqual({ position: 3, hash: r2.events[0].hash });
    expect(await l.reader.streamVersion('claim-a')).toBe(2);
    expect(await l.reader.streamVersion('claim-none')).toBe(0);
    expect(await verifyChain(l.reader)).toEqual({ ok: true, checked: 3, head: { position: 3, hash: r2.events[0].hash } });
  });

  it('an empty log verifies, with no head hash', async () => {
    expect(await verifyChain(l.reader)).toEqual({ ok: true, checked: 0, head: { position: 0, hash: null } });
  });

  it('refuses an append with no events', async () => {
    await expect(l.store.append(appendReq('s', 0, []))).rejects.toBeInstanceOf(InvalidCommandError);
    expect(await rowCount(l)).toBe(0);
  });

  it('a wrong expected version is a ConcurrencyError and writes nothing', async () => {
    await l.store.append(appendReq('claim-a', 0, [ev({ n: 1 })]));
    const before = await l.reader.head();

    const stale = l.store.append(appendReq('claim-a', 0, [ev({ n: 2 })]));
    await expect(stale).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(stale).rejects.toMatchObject({ streamId: 'claim-a', expected: 0, actual: 1 });
    await expect(l.store.append(appendReq('claim-a', 5, [ev({ n: 2 })]))).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(l.store.append(appendReq('claim-new', 1, [ev({ n: 2 })]))).rejects.toBeInstanceOf(ConcurrencyError);

    expect(await l.reader.head()).toEqual(before);
    expect(await rowCount(l)).toBe(1);
    expect(await l.reader.streamVersion('claim-new')).toBe(0);
  });

  it('expectedVersion "any" appends whatever the stream is at', async () => {
    await l.store.append(appendReq('s', 'any', [ev({ n: 1 })]));
    const r = await l.store.append(appendReq('s', 'any', [ev({ n: 2 })]));
    expect(r.version).toBe(2);
  });

  it('checks preconditions on other streams in the same transaction', async () => {
    await l.store.append(appendReq('claim-x', 0, [ev({ n: 1 })]));
    const before = await l.reader.head();

    const failing = l.store.append(appendReq('evidence-1', 0, [ev({ e: 1 })], { preconditions: [{ streamId: 'claim-x', expectedVersion: 2 }] }));
    await expect(failing).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(failing).rejects.toMatchObject({ streamId: 'claim-x', expected: 2, actual: 1 });
    expect(await l.reader.head()).toEqual(before);
    expect(await l.reader.streamVersion('evidence-1')).toBe(0);

    const ok = await l.store.append(appendReq('evidence-1', 0, [ev({ e: 1 })], { preconditions: [{ streamId: 'claim-x', expectedVersion: 1 }] }));
    expect(ok).toMatchObject({ version: 1, position: 2 });
    // A precondition that a stream must not exist yet.
    await expect(
      l.store.append(appendReq('evidence-2', 0, [ev({ e: 2 })], { preconditions: [{ streamId: 'claim-x', expectedVersion: 0 }] })),
    ).rejects.toBeInstanceOf(ConcurrencyError);
  });

  it('200 concurrent appends get gap-free positions 1..200 and a chain that verifies', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => l.store.append(appendReq(`s-${i % 20}`, 'any', [ev({ i })]))),
    );
    const positions = results.map((r) => r.position).sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));

    const events = await allEvents(l);
    expect(events.map((e) => e.position)).toEqual(positions);
    // Each caller's answer is its own event.
    for (const r of results) {
      const stored = events[r.position - 1];
      expect(stored.data).toEqual(r.events[0].data);
      expect(stored.hash).toBe(r.events[0].hash);
    }
    for (let s = 0; s < 20; s++) {
      const stream = await l.reader.readStream(`s-${s}`);
      expect(stream.map((e) => e.streamVersion)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    }
    expect(await verifyChain(l.reader)).toMatchObject({ ok: true, checked: 200, head: { position: 200 } });
    // Small pages cross page boundaries the same way.
    expect(await verifyChain(l.reader, 7)).toMatchObject({ ok: true, checked: 200 });
  });

  it('two event stores (two processes) on one file still write one gap-free chain', async () => {
    const other = await EventStore.open(l.dbPath);
    try {
      await Promise.all(
        Array.from({ length: 120 }, (_, i) => (i % 2 ? other : l.store).append(appendReq(`p-${i % 2}`, 'any', [ev({ i })]))),
      );
    } finally {
      await other.close();
    }
    const events = await allEvents(l);
    expect(events.map((e) => e.position)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(await verifyChain(l.reader)).toMatchObject({ ok: true, checked: 120 });
  });

  it('group commit: every caller gets its own answer or error, and only accepted events are written', async () => {
    await l.store.append(appendReq('existing', 0, [ev({ n: 0 })]));
    const settled = await Promise.allSettled([
      l.store.append(appendReq('a', 0, [ev({ a: 1 })])), // ok
      l.store.append(appendReq('existing', 0, [ev({ stale: true })])), // stale version
      l.store.append(appendReq('c', 0, [ev({ bad: NaN })])), // not representable in JSON
      l.store.append(appendReq('d', 0, [ev({ d: 1 }), ev({ d: 2 })])), // ok
      l.store.append(appendReq('dup', 0, [ev({ first: true })])), // ok: first in the batch
      l.store.append(appendReq('dup', 0, [ev({ second: true })])), // lost the race
      l.store.append(appendReq('dup', 1, [ev({ third: true })])), // sees the batch's own staged version
      l.store.append(appendReq('e', 0, [ev({ e: 1 })], { preconditions: [{ streamId: 'existing', expectedVersion: 9 }] })),
    ]);
    const status = settled.map((s) => s.status);
    expect(status).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected']);
    const reason = (i: number) => (settled[i] as PromiseRejectedResult).reason;
    const value = (i: number) => (settled[i] as PromiseFulfilledResult<AppendResult>).value;
    expect(reason(1)).toBeInstanceOf(ConcurrencyError);
    expect(reason(2)).toBeInstanceOf(InvalidCommandError);
    expect(reason(5)).toBeInstanceOf(ConcurrencyError);
    expect(reason(7)).toBeInstanceOf(ConcurrencyError);
    expect([value(0).position, value(3).position, value(4).position, value(6).position]).toEqual([2, 4, 5, 6]);
    expect(value(6).version).toBe(2);

    const events = await allEvents(l);
    expect(events.map((e) => [e.streamId, e.data])).toEqual([
      ['existing', { n: 0 }],
      ['a', { a: 1 }],
      ['d', { d: 1 }],
      ['d', { d: 2 }],
      ['dup', { first: true }],
      ['dup', { third: true }],
    ]);
    expect(await verifyChain(l.reader)).toMatchObject({ ok: true, checked: 6 });
  });

  it('group commit: a projector failing for one caller rolls back only that caller', async () => {
    const seen: number[] = [];
    const projector: InlineProjector = {
      name: 'test-projector',
      tables: [],
      async apply(tx, e) {
        if ((e.data as { explode?: boolean }).explode) throw new Error('projector refused');
        await tx.run('INSERT INTO checkpoints (name, position, updated_at) VALUES (?, ?, ?)', [`p-${e.position}`, e.position, e.recordedAt]);
        seen.push(e.position);
      },
    };
    l.store.registerProjector(projector);
    const settled = await Promise.allSettled([
      l.store.append(appendReq('a', 0, [ev({ n: 1 })])),
      l.store.append(appendReq('b', 0, [ev({ n: 2 }), ev({ explode: true })])),
      l.store.append(appendReq('c', 0, [ev({ n: 3 })])),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('projector refused');
    const events = await allEvents(l);
    expect(events.map((e) => e.streamId)).toEqual(['a', 'c']);
    // The projector's writes for the failed caller were rolled back with its events.
    const checkpoints: Array<{ name: string }> = await l.ds.query('SELECT name FROM checkpoints ORDER BY position');
    expect(checkpoints.map((c) => c.name)).toEqual(['p-1', 'p-2']);
    expect(await verifyChain(l.reader)).toMatchObject({ ok: true, checked: 2 });
  });

  it('an idempotency key is stored with the append; a second use replays and writes nothing', async () => {
    const respond = (r: AppendResult) => ({ status: 201, body: { position: r.position }, headers: { location: '/x' } });
    const first = await l.store.append(
      appendReq('s', 0, [ev({ n: 1 })], { idempotency: { scope: 'k1', key: 'abc', requestHash: 'h1', respond } }),
    );
    const again = l.store.append(appendReq('t', 0, [ev({ n: 2 })], { idempotency: { scope: 'k1', key: 'abc', requestHash: 'h1', respond } }));
    await expect(again).rejects.toBeInstanceOf(IdempotencyReplay);
    await expect(again).rejects.toMatchObject({ sameRequest: true, response: { status: 201, body: { position: first.position } } });
    const other = l.store.append(appendReq('t', 0, [ev({ n: 2 })], { idempotency: { scope: 'k1', key: 'abc', requestHash: 'h2', respond } }));
    await expect(other).rejects.toMatchObject({ sameRequest: false });
    expect(await rowCount(l)).toBe(1);
    // Another scope (another API key) may use the same key.
    await expect(
      l.store.append(appendReq('t', 0, [ev({ n: 2 })], { idempotency: { scope: 'k2', key: 'abc', requestHash: 'h2', respond } })),
    ).resolves.toMatchObject({ position: 2 });
  });

  it('group commit: the same idempotency key twice in one batch writes once; the second replays the first answer', async () => {
    const respond = (r: AppendResult) => ({ status: 201, body: { position: r.position }, headers: {} });
    const idem = (requestHash: string) => ({ scope: 'k1', key: 'same', requestHash, respond });
    // Queued together: they go into one transaction, where the first's record is not yet written.
    const settled = await Promise.allSettled([
      l.store.append(appendReq('a', 0, [ev({ n: 1 })], { idempotency: idem('h1') })),
      l.store.append(appendReq('b', 0, [ev({ n: 2 })], { idempotency: idem('h1') })),
      l.store.append(appendReq('c', 0, [ev({ n: 3 })], { idempotency: idem('h2') })),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ sameRequest: true, response: { status: 201, body: { position: 1 } } });
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ sameRequest: false });
    expect((await allEvents(l)).map((e) => e.streamId)).toEqual(['a']);
    const keys: Array<{ key: string; request_hash: string }> = await l.ds.query('SELECT key, request_hash FROM idempotency_keys');
    expect(keys).toEqual([{ key: 'same', request_hash: 'h1' }]);
  });

  it('group commit: a guard sees the read-model writes of the batch\'s earlier requests', async () => {
    l.store.registerProjector({
      name: 'marks',
      tables: [],
      async apply(tx, e) {
        await tx.run('INSERT INTO checkpoints (name, position, updated_at) VALUES (?, ?, ?)', [`mark-${e.streamId}`, e.position, e.recordedAt]);
      },
    });
    // Refuses when any mark exists: only the first of a batch can pass.
    const guard: AppendRequest['guard'] = async (tx) => {
      const found = await tx.get<{ name: string }>(`SELECT name FROM checkpoints WHERE name LIKE 'mark-%' LIMIT 1`);
      if (found) throw new ConcurrencyError('marks', 0, 1);
    };
    const settled = await Promise.allSettled(['a', 'b', 'c'].map((s) => l.store.append(appendReq(s, 0, [ev({ s })], { guard }))));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((await allEvents(l)).map((e) => e.streamId)).toEqual(['a']);
  });

  it('a precondition "exists" refuses a missing stream with the error the caller chose', async () => {
    const missing = () => new InvalidCommandError('no such claim');
    await expect(
      l.store.append(appendReq('evidence-1', 0, [ev({ e: 1 })], { preconditions: [{ streamId: 'claim-x', expectedVersion: 'exists', onMismatch: missing }] })),
    ).rejects.toThrow('no such claim');
    expect(await rowCount(l)).toBe(0);
    await l.store.append(appendReq('claim-x', 0, [ev({ n: 1 }), ev({ n: 2 })]));
    await expect(
      l.store.append(appendReq('evidence-1', 0, [ev({ e: 1 })], { preconditions: [{ streamId: 'claim-x', expectedVersion: 'exists', onMismatch: missing }] })),
    ).resolves.toMatchObject({ position: 3 });
  });

  it('recordedAt never goes backwards, even when the clock does', async () => {
    let now = Date.parse('2022-03-30T12:00:00Z');
    const clocked = await openLedger(() => new Date(now));
    try {
      await clocked.store.append(appendReq('s', 'any', [ev({ n: 1 })]));
      now -= 60_000;
      await clocked.store.append(appendReq('s', 'any', [ev({ n: 2 })]));
      const events = await allEvents(clocked);
      expect(events[0].recordedAt).toBe('2022-03-30T12:00:00.000Z');
      expect(events[1].recordedAt).toBe('2022-03-30T12:00:00.000Z');
    } finally {
      await clocked.close();
    }
  });

  it('reads streams, several streams, and "as of" cuts on recordedAt', async () => {
    let now = Date.parse('2022-03-30T10:00:00Z');
    const clocked = await openLedger(() => new Date(now));
    try {
      await clocked.store.append(appendReq('claim-1', 0, [ev({ n: 1 })]));
      await clocked.store.append(appendReq('evidence-1', 0, [ev({ e: 1 })]));
      now += 60_000;
      await clocked.store.append(appendReq('claim-1', 1, [ev({ n: 2 })]));
      const all = await clocked.reader.readStream('claim-1');
      expect(all.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
      const then = await clocked.reader.readStream('claim-1', { recordedAtOrBefore: '2022-03-30T10:00:30.000Z' });
      expect(then.map((e) => e.data)).toEqual([{ n: 1 }]);
      const many = await clocked.reader.readStreams(['claim-1', 'evidence-1', 'evidence-none']);
      expect([...many.entries()].map(([id, events]) => [id, events.length])).toEqual([
        ['claim-1', 2],
        ['evidence-1', 1],
        ['evidence-none', 0],
      ]);
      expect((await clocked.reader.readAfter(1, 1)).map((e) => e.position)).toEqual([2]);
      expect(await clocked.reader.readAfter(3, 10)).toEqual([]);
    } finally {
      await clocked.close();
    }
  });

  it('refuses appends once closed, and close() waits for queued writes', async () => {
    const other = await openLedger();
    const pending = other.store.append(appendReq('s', 0, [ev({ n: 1 })]));
    const closing = other.store.close();
    await expect(pending).resolves.toMatchObject({ position: 1 });
    await closing;
    await expect(other.store.append(appendReq('s', 1, [ev({ n: 2 })]))).rejects.toThrow(/shutting down/);
    await other.close();
  });
  // The append-only triggers: test/integration/ledger/append-only.spec.ts, on SQLite and PostgreSQL alike.
});

// --- Property tests, each run on a fresh database ------------------------------------------

const jsonData = fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }), {
  maxKeys: 4,
});

const appendOp = fc.record({
  stream: fc.integer({ min: 0, max: 3 }),
  /** 0: the right expected version, 1: 'any', 2: a wrong one (must be refused). */
  expectation: fc.integer({ min: 0, max: 2 }),
  events: fc.array(jsonData, { minLength: 1, maxLength: 3 }),
  concurrent: fc.boolean(),
});

type AppendOp = typeof appendOp extends fc.Arbitrary<infer T> ? T : never;

/** Runs the ops (a run of `concurrent` ones together, to exercise group commit); returns what was accepted. */
async function runOps(l: TestLedger, ops: AppendOp[]) {
  const versions = new Map<string, number>();
  const accepted: Array<{ streamId: string; data: unknown }> = [];
  let i = 0;
  while (i < ops.length) {
    const group = [ops[i++]];
    while (i < ops.length && ops[i].concurrent && group.length < 6) group.push(ops[i++]);
    // Within a concurrent group only 'any' is predictable, so the others are made 'any' too.
    const requests = group.map((op) => {
      const streamId = `stream-${op.stream}`;
      const current = versions.get(streamId) ?? 0;
      const expectedVersion: AppendRequest['expectedVersion'] =
        group.length > 1 || op.expectation === 1 ? 'any' : op.expectation === 0 ? current : current + 2;
      return { op, streamId, expectedVersion };
    });
    const settled = await Promise.allSettled(requests.map((r) => l.store.append(appendReq(r.streamId, r.expectedVersion, r.op.events.map((d) => ev(d))))));
    settled.forEach((s, k) => {
      const { op, streamId, expectedVersion } = requests[k];
      const wrong = typeof expectedVersion === 'number' && op.expectation === 2;
      if (wrong) {
        expect(s.status).toBe('rejected');
        expect((s as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
        return;
      }
      expect(s.status).toBe('fulfilled');
      versions.set(streamId, (s as PromiseFulfilledResult<AppendResult>).value.version);
      for (const d of op.events) accepted.push({ streamId, data: d });
    });
  }
  return accepted;
}

describe('EventStore properties (fresh database per run)', () => {
  it('any sequence of appends yields a gap-free chain that verifies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(appendOp, { minLength: 1, maxLength: 10 }), async (ops) => {
        const l = await openLedger();
        try {
          const accepted = await runOps(l, ops);
          const events = await allEvents(l);
          expect(events.map((e) => e.position)).toEqual(accepted.map((_, i) => i + 1));
          // Per stream, versions are 1..n in position order.
          const perStream = new Map<string, number>();
          for (const e of events) {
            const next = (perStream.get(e.streamId) ?? 0) + 1;
            expect(e.streamVersion).toBe(next);
            perStream.set(e.streamId, next);
          }
          // Everything accepted is stored, as JSON would carry it.
          const sortedStored = events.map((e) => canonicalize([e.streamId, e.data])).sort();
          const sortedAccepted = accepted.map((a) => canonicalize([a.streamId, JSON.parse(JSON.stringify(a.data))])).sort();
          expect(sortedStored).toEqual(sortedAccepted);
          const report = await verifyChain(l.reader, 4);
          expect(report).toEqual({ ok: true, checked: accepted.length, head: { position: accepted.length, hash: events[events.length - 1]?.hash ?? null } });
        } finally {
          await l.close();
        }
      }),
      { numRuns: 25 },
    );
  }, 90_000); // 25 fresh databases each: generous for a loaded CI machine

  const COLUMNS = ['data', 'metadata', 'type', 'stream_id', 'recorded_at', 'prev_hash', 'hash', 'stream_version'] as const;

  /** The same text with one UTF-16 code unit changed (its lowest bit flipped). */
  function flipOne(text: string, index: number): string {
    const i = index % text.length;
    return text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ 1) + text.slice(i + 1);
  }

  it('changing any stored byte of any row makes verify name that row', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(appendOp, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.constantFrom(...COLUMNS),
        fc.nat(),
        async (ops, rowPick, column, charPick) => {
          const l = await openLedger();
          try {
            const accepted = await runOps(l, ops);
            fc.pre(accepted.length > 0);
            const position = (rowPick % accepted.length) + 1;
            const [row] = await l.ds.query(`SELECT * FROM events WHERE position = ?`, [position]);
            let value: string | number = column === 'stream_version' ? Number(row[column]) + 1000 : flipOne(String(row[column]), charPick);
            if (column === 'stream_id') {
              // (stream_id, stream_version) is UNIQUE: "stream-1" flipped to "stream-0" may name a row
              // that exists; flip the next character instead until the pair is free.
              for (let k = 1; ; k++) {
                const taken = await l.ds.query('SELECT 1 FROM events WHERE stream_id = ? AND stream_version = ?', [value, row.stream_version]);
                if (taken.length === 0) break;
                value = flipOne(String(row[column]), charPick + k);
              }
            }
            expect(value).not.toEqual(row[column]);

            await l.ds.query('DROP TRIGGER events_refuse_update');
            await l.ds.query(`UPDATE events SET ${column} = ? WHERE position = ?`, [value, position]);
            const [changed] = await l.ds.query(`SELECT ${column} AS v FROM events WHERE position = ?`, [position]);
            expect(changed.v).toEqual(value);

            const report = await verifyChain(l.reader, 3);
            expect(report.ok).toBe(false);
            expect(report.firstBadPosition).toBe(position);
            expect(report.checked).toBe(position - 1);
          } finally {
            await l.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 90_000); // 25 fresh databases each: generous for a loaded CI machine
});
