import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { bearer, crimeaClaimBody, evidenceBody } from '../../support/app';
import { PrefixLedger, bootJobsApp, sleep, type JobsTestApp } from '../../support/jobs';

/**
 * Measures, in BullMQ mode with workers in the API process, the time from sending evidence
 * (POST /api/claims/:id/evidence) to the claim's status change being visible in
 * GET /api/claims/:id. Printed, not asserted: it depends on the machine.
 */

const prefixes = new PrefixLedger('jobs-latency');
const SAMPLES = 100;

function percentile(sorted: number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

describe('latency from evidence POST to visible status change (BullMQ mode)', () => {
  let t: JobsTestApp;

  beforeAll(async () => {
    t = await bootJobsApp('bullmq', prefixes);
  });

  afterAll(async () => {
    await t?.close();
    await prefixes.cleanup();
  });

  it(`measures p50/p99 over ${SAMPLES} samples`, async () => {
    const auth = bearer(t.adminKey);
    const claimIds: string[] = [];
    for (let i = 0; i < SAMPLES + 5; i++) claimIds.push(await t.api.createClaim(crimeaClaimBody()));

    const total: number[] = [];
    const post: number[] = [];
    for (let i = 0; i < claimIds.length; i++) {
      const id = claimIds[i];
      const t0 = performance.now();
      const res = await request(t.http).post(`/api/claims/${id}/evidence`).set(auth).send(evidenceBody());
      expect(res.status).toBe(202);
      const t1 = performance.now();
      const deadline = t0 + 10_000;
      for (;;) {
        const view = await request(t.http).get(`/api/claims/${id}`).set(auth);
        if (view.body.status === 'contradicted') break;
        if (performance.now() > deadline) throw new Error(`claim ${id} did not change status within 10 s`);
        await sleep(2);
      }
      const t2 = performance.now();
      if (i >= 5) {
        // the first few warm up the JIT, the queues and the workers' blocking connections
        total.push(t2 - t0);
        post.push(t1 - t0);
      }
    }
    total.sort((a, b) => a - b);
    post.sort((a, b) => a - b);
    // Server side, from the log alone: EvidenceSubmitted.recordedAt → VerificationStatusChanged.recordedAt.
    const feed = await t.api.feed();
    const submittedAt = new Map<string, number>();
    const pipeline: number[] = [];
    for (const e of feed) {
      if (e.type === 'EvidenceSubmitted') submittedAt.set((e.data as { claimId: string }).claimId, Date.parse(e.recordedAt));
      if (e.type === 'VerificationStatusChanged') {
        const claimId = e.streamId.replace(/^claim-/, '');
        if (claimIds.indexOf(claimId) >= 5) pipeline.push(Date.parse(e.recordedAt) - submittedAt.get(claimId)!);
      }
    }
    pipeline.sort((a, b) => a - b);
    const fmt = (n: number) => `${n.toFixed(1)} ms`;
    // eslint-disable-next-line no-console
    console.log(
      [
        `evidence POST → visible status change, BullMQ mode, workers in the API process, ${total.length} samples (sequential, polling GET every ~2 ms):`,
        `  p50 ${fmt(percentile(total, 50))}  p90 ${fmt(percentile(total, 90))}  p99 ${fmt(percentile(total, 99))}  max ${fmt(total[total.length - 1])}`,
        `  (of which the POST itself: p50 ${fmt(percentile(post, 50))}, p99 ${fmt(percentile(post, 99))}; ` +
          `in the log, EvidenceSubmitted → VerificationStatusChanged recordedAt: p50 ${fmt(percentile(pipeline, 50))}, p99 ${fmt(percentile(pipeline, 99))}); ` +
          `${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' / ')}`,
      ].join('\n'),
    );
    expect(total).toHaveLength(SAMPLES);
    expect(pipeline).toHaveLength(SAMPLES);
  });
});
