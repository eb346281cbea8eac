import type { Scope } from '../../src/domain/types';
import type { EvidenceSubmittedData, StoredEvent } from '../../src/domain/events';
import { matchReportToScope } from '../../src/domain/matching';
import { crimeaClaimBody, evidenceBody, pledgeBody, reportBody } from '../support/app';
import { uniquePrefix } from '../support/redis';
import { Client, expectStatus, seen } from './support/client';
import { attachmentCounts, checkVerdict, feed, health, openQueues, plannedJobs, pool, settle, until, verify } from './support/ledger';
import { markerIn, markerOf, runWriters, type Write } from './support/load';
import { ServiceProcess, ThrowawayRedis, tempDir } from './support/service';
import { count, note, writeSummary } from './support/summary';

/**
 * Redis is not the truth, the log is. A throwaway redis-server on its own port (no persistence)
 * under `node dist/main.js` with BullMQ workers in the API process:
 *  1. killed during load: writes keep being accepted, /health says 503; back (empty): every piece
 *     attached, every status right, nothing twice;
 *  2. restarted WITH ITS DATA LOST while jobs were queued but not yet done: they are redone.
 */

jest.setTimeout(180_000);

const dir = tempDir('redis');
const prefix = uniquePrefix('rel-outage');
// One queue prefix per ledger: job ids are <queue>_<position>, so two ledgers must never share one.
const wipePrefix = uniquePrefix('rel-wipe');
let redis: ThrowawayRedis;
let service: ServiceProcess | null = null;
let admin: Client;
let queues: ReturnType<typeof openQueues> | null = null;

beforeAll(async () => {
  redis = await ThrowawayRedis.start();
});

afterAll(async () => {
  admin?.close();
  if (!redis.isUp) await redis.up().catch(() => undefined); // lets the service close its queues cleanly
  await queues?.close();
  await service?.stop();
  await redis.stop();
  dir.remove();
  writeSummary(__filename);
  expect(seen.serverErrors).toEqual([]);
});

async function startService(env: Record<string, string> = {}, file = 'ledger.sqlite', queuePrefix = prefix): Promise<void> {
  service = await ServiceProcess.start({
    dbPath: dir.file(file),
    redisUrl: redis.url,
    queuePrefix,
    runWorkers: true,
    logLevel: 'error',
    env: { RATE_LIMIT_PER_MINUTE: '1000000', JOB_LOCK_DURATION_MS: '2000', JOB_STALLED_INTERVAL_MS: '1000', ...env },
  });
  admin?.close();
  admin = new Client(service.base, service.adminKey);
}

/** Every check that must hold once the service is idle again, over the whole ledger. */
async function checkEverything(label: string): Promise<StoredEvent[]> {
  await settle(admin, queues!.queues, 90_000);
  const events = await feed(admin);
  expect(await verify(admin)).toEqual(expect.objectContaining({ ok: true, checked: events.length }));

  // No event twice: every marker once.
  const markers = new Map<string, number>();
  for (const e of events) {
    const m = markerIn(e);
    if (m) markers.set(m, (markers.get(m) ?? 0) + 1);
  }
  const twice = [...markers].filter(([, n]) => n > 1);
  expect(twice).toEqual([]);

  // Every attachment at most once.
  const attachments = attachmentCounts(events);
  const dup = [...attachments].filter(([, n]) => n > 1);
  expect(dup).toEqual([]);
  count({ duplicates: twice.length + dup.length });

  const retracted = new Set(events.filter((e) => e.type === 'EvidenceRetracted').map((e) => e.streamId.slice('evidence-'.length)));
  const missing: string[] = [];
  // Evidence sent for a claim: attached to it (unless retracted first).
  for (const e of events.filter((x) => x.type === 'EvidenceSubmitted')) {
    const id = e.streamId.slice('evidence-'.length);
    const d = e.data as EvidenceSubmittedData;
    if (d.claimId && !retracted.has(id) && !attachments.has(`claim-${d.claimId}/${id}`)) missing.push(`${id} → ${d.claimId}`);
  }
  // Reports: attached to every pledge whose scope they match.
  const pledges = events
    .filter((e) => e.type === 'ClaimRecorded' && (e.data as { scope: Scope | null }).scope)
    .map((e) => ({ id: e.streamId.slice('claim-'.length), scope: (e.data as { scope: Scope }).scope }));
  for (const e of events.filter((x) => x.type === 'EvidenceSubmitted' && !(x.data as EvidenceSubmittedData).claimId)) {
    const id = e.streamId.slice('evidence-'.length);
    if (retracted.has(id)) continue;
    for (const p of pledges) {
      if (matchReportToScope(p.scope, e.data as EvidenceSubmittedData) && !attachments.has(`claim-${p.id}/${id}`)) missing.push(`report ${id} → pledge ${p.id}`);
    }
  }
  expect({ label, missing }).toEqual({ label, missing: [] });

  // Statuses: verdict-v1 over what each claim's own log says.
  const claimIds = events.filter((e) => e.type === 'ClaimRecorded').map((e) => e.streamId.slice('claim-'.length));
  await pool(6, claimIds.map((id) => () => checkVerdict(admin, id)));
  return events;
}

describe('Redis dies during load, then comes back empty', () => {
  let writes: Write[] = [];

  it('writes keep being accepted while Redis is down, and /health says 503', async () => {
    await startService();
    queues = openQueues(prefix, redis.url);
    // A few pledges first, so reports have something to match.
    for (let i = 0; i < 3; i++) expectStatus(await admin.post('/api/claims', pledgeBody({ statement: `Outage pledge ${i} [outage-pledge-${i}]` })), 201);
    expect((await health(admin)).status).toBe(200);

    let stop = false;
    let phase: 'before' | 'during' = 'before';
    const load = runWriters([admin], { label: 'outage', writers: 10, stop: () => stop, retractions: true });
    await until('writes before the outage', async () => seen.requests, (n) => n > 80, 30_000, 10);
    await redis.down();
    phase = 'during';
    const downAt = seen.requests;
    const h = await until('/health to say 503', () => health(admin), (x) => x.status === 503, 20_000, 50);
    expect(h.body.error).toHaveProperty('redis');
    expect(h.contentType).toMatch(/^application\/problem\+json/);
    // Keep writing for a while with Redis away.
    await until('writes during the outage', async () => seen.requests, (n) => n > downAt + 120, 30_000, 10);
    stop = true;
    writes = await load;
    expect(phase).toBe('during');

    const notAcked = writes.filter((w) => w.outcome !== 'acked');
    expect(notAcked.map((w) => `${w.kind} ${w.status ?? w.error}`)).toEqual([]);
    count({ writesAcknowledged: writes.length + 3 });
    // The dispatcher could not hand the newest work over: it is still owed, in the log.
    const d = (await health(admin)).details.dispatcher;
    expect(d.lag).toBeGreaterThan(0);
  });

  it('Redis back (empty): every piece attached once, every status verdict-v1, nothing twice', async () => {
    await redis.up();
    await until('/health to say 200 again', () => health(admin), (x) => x.status === 200, 30_000, 50);
    const events = await checkEverything('after the outage');
    const byMarker = new Set(events.map(markerIn).filter(Boolean));
    const found = writes.filter((w) => byMarker.has(markerOf(w))).length;
    expect(found).toBe(writes.length);
    count({ foundAfterRecovery: found + 3 });
  });
});

describe('Redis restarted WITH ITS DATA LOST while jobs were queued', () => {
  it('the work handed over but not done is redone from the log', async () => {
    // A fresh ledger, slow workers, one job at a time: a backlog builds up in Redis. Each job sits
    // 400 ms before appending, so the backlog outlasts the posting by seconds even on a busy machine
    // (the check below that most work is still owed at the wipe does not depend on a quiet one).
    await service!.stop();
    await startService({ JOB_PAUSE_BEFORE_APPEND_MS: '400', WORKER_CONCURRENCY: '1' }, 'wipe.sqlite', wipePrefix);
    const claimId = expectStatus(await admin.post('/api/claims', crimeaClaimBody({ statement: 'Wipe target [wipe-claim]' })), 201).body.id as string;
    const pledgeId = expectStatus(await admin.post('/api/claims', pledgeBody({ statement: 'Wipe pledge [wipe-pledge]' })), 201).body.id as string;
    const posted = await pool(
      8,
      Array.from({ length: 24 }, (_, i) => async () => {
        const body =
          i % 4 === 3
            ? reportBody({ summary: `Wipe report [wipe-r${i}]`, reliability: 'B', credibility: 2 })
            : evidenceBody({ summary: `Wipe evidence [wipe-e${i}]`, stance: i % 2 ? 'supports' : 'contradicts', source: { url: `https://wipe-${i % 5}.example/${i}` } });
        const path = i % 4 === 3 ? '/api/reports' : `/api/claims/${claimId}/evidence`;
        return expectStatus(await admin.post(path, body, { headers: { 'idempotency-key': `wipe-${i}` } }), 202).body.evidenceId as string;
      }),
    );
    count({ writesAcknowledged: posted.length + 2 });

    // Everything is handed to Redis (the dispatcher's checkpoint is at the head) but most of it not done.
    const handed = await until('the dispatcher to hand everything over', () => health(admin), (h) => h.details.dispatcher?.lag === 0, 20_000, 20);
    const attachedTo = (events: StoredEvent[], id: string) => events.filter((e) => e.type === 'EvidenceAttached' && e.streamId === `claim-${id}`).length;
    const before = await feed(admin);
    const attachedBefore = attachedTo(before, claimId) + attachedTo(before, pledgeId);
    expect(attachedBefore).toBeLessThan(posted.length - 5);
    note(`wipe: Redis wiped with ${posted.length - attachedBefore} of ${posted.length} pieces handed over and not yet attached (checkpoint ${handed.details.dispatcher.checkpoint})`);

    await redis.down();
    await redis.up(); // empty: --save '' --appendonly no
    await queues!.close();
    queues = openQueues(wipePrefix, redis.url);

    await until(
      'every piece to be attached after the wipe',
      () => feed(admin),
      (events) => attachedTo(events, claimId) + attachedTo(events, pledgeId) >= posted.length,
      90_000,
      200,
    );
    const events = await checkEverything('after the wipe');
    const attachments = attachmentCounts(events);
    for (const id of posted.filter((_, i) => i % 4 !== 3)) expect(attachments.get(`claim-${claimId}/${id}`)).toBe(1);
    for (const id of posted.filter((_, i) => i % 4 === 3)) expect(attachments.get(`claim-${pledgeId}/${id}`)).toBe(1);
    // The jobs the wiped Redis had taken, found again in the new one: redelivered from the log.
    const checkpoint = handed.details.dispatcher.checkpoint as number;
    let redelivered = 0;
    for (const j of plannedJobs(events.filter((e) => e.position <= checkpoint))) {
      if (await queues!.queues.get(j.queue)!.getJob(j.jobId)) redelivered++;
    }
    expect(redelivered).toBeGreaterThanOrEqual(posted.length - attachedBefore);
    count({ foundAfterRecovery: posted.length + 2, jobsRedelivered: redelivered });
  });
});
