import type { StoredEvent } from '../../src/domain/events';
import { Client, expectStatus, seen } from './support/client';
import { attachmentCounts, allClaims, checkVerdict, feed, pool, settle, until, verify } from './support/ledger';
import { idOf, markerIn, markerOf, runWriters, type Write } from './support/load';
import { ServiceProcess, tempDir } from './support/service';
import { dumpReadModels } from './support/sqlite';
import { count, note, writeSummary } from './support/summary';

/**
 * kill -9 under load. 20 writers post claims, pledges, evidence, reports and retractions (each
 * with an Idempotency-Key) against `node dist/main.js` (jobs in-process); the process is SIGKILLed
 * mid-load and started again on the same file. Every acknowledged write must be there exactly
 * once, the chain must verify, the read models must equal a rebuild from the log, the jobs must
 * catch up, and retrying every unanswered write with its key must not duplicate anything.
 */

jest.setTimeout(120_000);

const dir = tempDir('crash');
let service: ServiceProcess;
const clients: Client[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  await service?.stop();
  dir.remove();
  writeSummary(__filename);
  expect(seen.serverErrors).toEqual([]);
});

function occurrences(events: StoredEvent[]): Map<string, StoredEvent[]> {
  const byMarker = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const m = markerIn(e);
    if (m) byMarker.set(m, [...(byMarker.get(m) ?? []), e]);
  }
  return byMarker;
}

describe('kill -9 mid-load, restart on the same file', () => {
  let writes: Write[] = [];
  let admin: Client;
  let checkers: Client[];

  it('runs 20 writers and is SIGKILLed while they are in flight', async () => {
    service = await ServiceProcess.start({ dbPath: dir.file(), logLevel: 'error', env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
    admin = new Client(service.base, service.adminKey);
    clients.push(admin);
    const keys = await Promise.all(
      [1, 2].map(async (i) => expectStatus(await admin.post('/api/api-keys', { name: `crash writer ${i}`, role: 'checker' }), 201).body.key as string),
    );
    checkers = keys.map((k) => new Client(service.base, k));
    clients.push(...checkers);

    let killed = false;
    const started = Date.now();
    const live: Write[] = [];
    const load = runWriters(checkers, { label: 'crash', writers: 20, stop: () => killed, into: live });
    // Kill once a good number of writes are in (or time is up), with 20 in flight.
    await until('enough acknowledged writes', async () => live.filter((w) => w.outcome === 'acked').length, (n) => n >= 250 || Date.now() - started > 15_000, 20_000, 10);
    expect(await service.kill('SIGKILL')).toBe('SIGKILL');
    killed = true;
    writes = await load;

    const acked = writes.filter((w) => w.outcome === 'acked');
    const unanswered = writes.filter((w) => w.outcome === 'unanswered');
    const refused = writes.filter((w) => w.outcome === 'refused');
    expect(refused.map((w) => `${w.kind} ${w.status} ${w.answer?.text.slice(0, 200)}`)).toEqual([]);
    expect(acked.length).toBeGreaterThan(40);
    expect(unanswered.length).toBeGreaterThan(0); // in flight when the process died
    count({ writesAcknowledged: acked.length });
    note(`${acked.length} acknowledged, ${unanswered.length} unanswered at the kill`);
  });

  it('after a restart, every acknowledged write is there exactly once and the chain verifies', async () => {
    service = await service.restart();
    for (const c of clients) c.close();
    admin = new Client(service.base, service.adminKey);
    checkers = checkers.map((c) => new Client(service.base, c.key));
    clients.push(admin, ...checkers);

    // The jobs owed at the kill run again now; let them finish so the feed and verify see one log.
    await settle(admin, null, 60_000);
    const events = await feed(admin);
    const v = await verify(admin);
    expect(v).toEqual(expect.objectContaining({ ok: true, checked: events.length }));
    expect(v.head.position).toBe(events.length);
    events.forEach((e, i) => expect(e.position).toBe(i + 1));

    const byMarker = occurrences(events);
    let found = 0;
    let duplicates = 0;
    for (const w of writes) {
      const n = byMarker.get(markerOf(w))?.length ?? 0;
      if (n > 1) duplicates += n - 1;
      if (w.outcome !== 'acked') {
        expect({ write: w.idemKey, n: Math.min(n, 1) }).toEqual({ write: w.idemKey, n });
        continue;
      }
      expect({ write: w.idemKey, occurrences: n }).toEqual({ write: w.idemKey, occurrences: 1 });
      const [e] = byMarker.get(markerOf(w))!;
      // The position the answer named holds this very write.
      expect({ write: w.idemKey, position: e.position }).toEqual({ write: w.idemKey, position: w.answer!.body.position });
      found++;
    }
    // ...and each can be read back by id.
    await pool(
      8,
      writes
        .filter((w) => w.outcome === 'acked')
        .map((w) => async () => {
          if (w.kind === 'claim' || w.kind === 'pledge') {
            const res = expectStatus(await admin.get(`/api/claims/${idOf(w)}`), 200, `GET claim of ${w.idemKey}`);
            expect(res.body.statement).toContain(markerOf(w));
          } else if (w.kind === 'retract') {
            expect(expectStatus(await admin.get(`/api/evidence/${w.target}`), 200).body.retracted).toBe(true);
          } else {
            const res = expectStatus(await admin.get(`/api/evidence/${idOf(w)}`), 200, `GET evidence of ${w.idemKey}`);
            expect(res.body.summary).toContain(markerOf(w));
          }
        }),
    );
    count({ foundAfterRecovery: found, duplicates });
    expect(duplicates).toBe(0);
  });

  it('the jobs catch up after the restart: every piece attached once, every status is verdict-v1', async () => {
    await settle(admin, null, 60_000);
    const events = await feed(admin);
    const attachments = attachmentCounts(events);
    const dup = [...attachments].filter(([, n]) => n > 1);
    expect(dup).toEqual([]);
    const retracted = new Set(events.filter((e) => e.type === 'EvidenceRetracted').map((e) => e.streamId.slice('evidence-'.length)));
    const submitted = events.filter((e) => e.type === 'EvidenceSubmitted' && (e.data as { claimId: string | null }).claimId);
    for (const e of submitted) {
      const evidenceId = e.streamId.slice('evidence-'.length);
      const claimId = (e.data as { claimId: string }).claimId;
      const n = attachments.get(`claim-${claimId}/${evidenceId}`) ?? 0;
      // A piece retracted before its job ran is never attached; every other one exactly once.
      if (!retracted.has(evidenceId)) expect({ evidenceId, attached: n }).toEqual({ evidenceId, attached: 1 });
    }
    const claimIds = [...new Set(events.filter((e) => e.type === 'ClaimRecorded').map((e) => e.streamId.slice('claim-'.length)))];
    await pool(6, claimIds.map((id) => () => checkVerdict(admin, id)));
  });

  it('the read models equal a rebuild from the log (tables and GET /api/claims)', async () => {
    const tablesBefore = await dumpReadModels(dir.file());
    const listBefore = await allClaims(admin);
    const pledgesBefore = await allClaims(admin, 'kind=pledge');
    expect(tablesBefore.claims.length).toBe(listBefore.length);

    expect(expectStatus(await admin.post('/api/admin/projections/rebuild'), 202).body.status).toBe('started');
    // The rebuild is one transaction on the single writer; a write queued behind it ends after it.
    expectStatus(await admin.post('/api/api-keys', { name: 'after the rebuild', role: 'viewer' }), 201);

    expect(await dumpReadModels(dir.file())).toEqual(tablesBefore);
    expect(await allClaims(admin)).toEqual(listBefore);
    expect(await allClaims(admin, 'kind=pledge')).toEqual(pledgesBefore);
  });

  it('retrying every unanswered write with its Idempotency-Key creates no duplicates; replays answer the same ids', async () => {
    const byIdem = new Map(writes.map((w) => [w.idemKey, w]));
    const checkerFor = (w: Write) => checkers[Number(w.idemKey.split('-')[1]) % checkers.length];
    const retried = writes.filter((w) => w.outcome === 'unanswered');
    const answers = await pool(
      10,
      retried.map((w) => async () => ({ w, res: await checkerFor(w).post(w.path, w.body, { headers: { 'idempotency-key': w.idemKey } }) })),
    );
    let replayed = 0;
    for (const { w, res } of answers) {
      expectStatus(res, [201, 202], `retry of ${w.idemKey}`);
      if (res.headers['idempotent-replayed'] === 'true') replayed++;
    }
    note(`${retried.length} unanswered writes retried, ${replayed} of them had been committed before the kill`);

    // Acknowledged writes sent again answer the first response, and write nothing.
    await settle(admin, null, 60_000);
    const headBefore = (await verify(admin)).head;
    const sample = writes.filter((w) => w.outcome === 'acked').slice(0, 40);
    for (const w of sample) {
      const res = await checkerFor(w).post(w.path, w.body, { headers: { 'idempotency-key': w.idemKey } });
      expectStatus(res, w.status!, `replay of ${w.idemKey}`);
      expect(res.headers['idempotent-replayed']).toBe('true');
      expect(res.body).toEqual(w.answer!.body);
    }
    expect((await verify(admin)).head).toEqual(headBefore);

    await settle(admin, null, 60_000);
    const events = await feed(admin);
    const byMarker = occurrences(events);
    const dups = [...byMarker].filter(([m, es]) => es.length > 1 && byIdem.has(m.slice(1, -1)));
    expect(dups.map(([m]) => m)).toEqual([]);
    for (const w of writes) {
      if (w.outcome === 'acked' || w.outcome === 'unanswered') {
        // A retraction retried after its evidence was... retracted by nobody else: exactly once too.
        expect({ write: w.idemKey, n: byMarker.get(markerOf(w))?.length ?? 0 }).toEqual({ write: w.idemKey, n: 1 });
      }
    }
    expect([...attachmentCounts(events)].filter(([, n]) => n > 1)).toEqual([]);
    expect(await verify(admin)).toEqual(expect.objectContaining({ ok: true, checked: events.length }));
  });
});
