import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { LogTail, type LogTailOptions } from '../../../src/feed/log-tail';
import { SseClient } from '../../../src/feed/sse-client';
import { openLedger, testMetadata, type TestLedger } from '../../support/ledger';

/** Stands in for a ServerResponse: keeps what was written. */
class FakeResponse extends EventEmitter {
  text = '';
  writableLength = 0;
  destroyed = false;
  writableEnded = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  end(): void {
    this.writableEnded = true;
    this.emit('close');
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
  get ids(): number[] {
    return [...this.text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  }
}

interface Conn {
  res: FakeResponse;
  client: SseClient;
  after: number;
}

/**
 * The tail against a real ledger, with tiny pages and a tiny ring so that every path runs:
 * catch-up from the log in several pages, from the ring, switching to live while appends
 * land, clients leaving and coming back. Whatever the interleaving, each connection gets
 * exactly the positions after its starting point, in order, once.
 */
describe('LogTail: exactly-once delivery under any interleaving', () => {
  let ledger: TestLedger;
  let tail: LogTail;
  let nextId = 1;
  const options: LogTailOptions = { pollIntervalMs: 20, heartbeatMs: 60_000, bufferEvents: 6, pageSize: 4, pageBytes: 1500, writesPerSecond: 1_000_000, maxFlushDelayMs: 0 };

  const append = async (n: number): Promise<number> => {
    const id = randomUUID();
    const r = await ledger.store.append({
      streamId: `claim-${id}`,
      expectedVersion: 0,
      events: Array.from({ length: n }, (_, i) =>
        i === 0
          ? { type: 'ClaimRecorded' as const, data: { kind: 'claim' as const, statement: `s ${id}`, speaker: { name: 'x' }, madeAt: '2022-03-30T12:00:00Z', source: { url: 'https://a.example' }, topics: [], scope: null } }
          : { type: 'EvidenceDetached' as const, data: { evidenceId: `e${i}`, reason: 'retracted' as const } },
      ),
      metadata: testMetadata(),
    });
    return r.position;
  };

  const connect = (after: number): Conn => {
    const res = new FakeResponse();
    const client = new SseClient(nextId++, res as unknown as ServerResponse, after, 1 << 30);
    tail.subscribe(client);
    return { res, client, after };
  };

  const head = async () => (await ledger.reader.head()).position;

  const settle = async (conns: Conn[], target: number) => {
    const deadline = Date.now() + 5000;
    while (conns.some((c) => !c.client.closed && c.client.sent < target)) {
      if (Date.now() > deadline) throw new Error(`clients did not reach ${target}: ${conns.map((c) => c.client.sent).join(',')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  beforeAll(async () => {
    ledger = await openLedger();
    tail = new LogTail(ledger.store, ledger.reader, options);
    tail.start();
    await append(3);
  });

  afterAll(async () => {
    await tail?.stop();
    await ledger?.close();
  });

  it('holds for random sequences of appends, connects, disconnects and resumes', async () => {
    type Step = { kind: 'append'; n: number; wait: boolean } | { kind: 'connect'; back: number } | { kind: 'drop'; which: number } | { kind: 'resume'; which: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), n: fc.integer({ min: 1, max: 5 }), wait: fc.boolean() }),
      fc.record({ kind: fc.constant('connect' as const), back: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant('drop' as const), which: fc.nat() }),
      fc.record({ kind: fc.constant('resume' as const), which: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 25 }), async (steps) => {
        const conns: Conn[] = [];
        const finished: Conn[] = [];
        const pending: Promise<number>[] = [];
        for (const s of steps) {
          if (s.kind === 'append') {
            const p = append(s.n);
            if (s.wait) await p;
            else pending.push(p);
          } else if (s.kind === 'connect') {
            conns.push(connect(Math.max(0, (await head()) - s.back)));
          } else if (conns.length > 0) {
            const c = conns[s.which % conns.length];
            if (c.client.closed) continue;
            c.client.end();
            finished.push(c);
            if (s.kind === 'resume') {
              // As EventSource does: reconnect after the last id received.
              conns.push(connect(c.res.ids.length ? c.res.ids[c.res.ids.length - 1] : c.after));
            }
          }
          await new Promise((r) => setImmediate(r));
        }
        await Promise.all(pending);
        const target = await head();
        await settle(conns, target);
        for (const c of conns) {
          const ids = c.res.ids;
          const first = c.after + 1;
          const last = c.client.closed ? (ids.length ? ids[ids.length - 1] : c.after) : target;
          // Exactly first..last, in order, nothing twice: no gap, no duplicate.
          expect(ids).toEqual(Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i));
        }
        for (const c of conns) c.client.end();
      }),
      { numRuns: 25 },
    );
    // The tail read the log in pages; clients far behind caught up by themselves.
    expect(tail.stats().catchUpReads).toBeGreaterThan(0);
  });

  it('fans out to hundreds of clients in slices while clients join and appends land', async () => {
    const h0 = await head();
    const conns: Conn[] = [];
    const appends: Promise<number>[] = [];
    for (let i = 0; i < 600; i++) {
      conns.push(connect(Math.max(0, h0 - (i % 9))));
      if (i % 50 === 0) appends.push(append(1 + (i % 3)));
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(appends);
    const target = await head();
    await settle(conns, target);
    for (const c of conns) expect(c.res.ids).toEqual(Array.from({ length: target - c.after }, (_, i) => c.after + 1 + i));
    for (const c of conns) c.client.end();
  });

  it('coalesces flushes when many clients are live (write budget)', async () => {
    const budgeted = new LogTail(ledger.store, ledger.reader, { ...options, writesPerSecond: 1000, maxFlushDelayMs: 50 });
    budgeted.start();
    try {
      const h = await head();
      const conns = Array.from({ length: 20 }, () => {
        const res = new FakeResponse();
        const client = new SseClient(nextId++, res as unknown as ServerResponse, h, 1 << 30);
        budgeted.subscribe(client);
        return { res, client, after: h };
      });
      await settle(conns, h);
      const deadline = Date.now() + 2000;
      while (budgeted.stats().live < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      // 20 clients × 1000 ms / 1000 writes per second = 20 ms between flushes.
      expect(budgeted.stats().flushIntervalMs).toBe(20);
      const before = budgeted.stats().tailReads;
      const started = Date.now();
      for (let i = 0; i < 20; i++) await append(1);
      const target = await head();
      await settle(conns, target);
      const elapsed = Date.now() - started;
      for (const c of conns) expect(c.res.ids).toEqual(Array.from({ length: target - h }, (_, i) => h + 1 + i));
      // The budget, as a property rather than a count that holds only on a quiet machine: at most one
      // loop per flush interval (plus the one under way), each reading the new rows in pages of
      // pageSize. A busy machine spreads the 20 commits out and so allows more loops; a read per
      // commit breaks this whenever commits come faster than one per flush interval.
      const reads = budgeted.stats().tailReads - before;
      const loops = Math.ceil(elapsed / budgeted.stats().flushIntervalMs) + 2;
      expect(reads).toBeLessThanOrEqual(loops + Math.ceil(20 / options.pageSize));
    } finally {
      await budgeted.stop();
    }
  });
});
