import { crimeaClaimBody, evidenceBody } from '../../support/app';
import { PrefixLedger, bootJobsApp, waitFor, type JobsTestApp } from '../../support/jobs';

/**
 * A new (or restored) database behind a Redis prefix that another log already used: BullMQ still
 * remembers that log's completed job ids and hand-over position. The new log's work must run
 * anyway: job ids and the hand-over state carry the ledger's identity (its events' hashes).
 */
describe('a fresh ledger on a reused queue prefix', () => {
  const prefixes = new PrefixLedger('shared');
  const apps: JobsTestApp[] = [];

  afterAll(async () => {
    for (const a of apps) await a.close();
    await prefixes.cleanup();
  });

  it('still attaches evidence and sets the status', async () => {
    const prefix = prefixes.next();
    const first = await bootJobsApp('bullmq', prefixes, { prefix });
    apps.push(first);
    // Give the first log more positions than the second will have, so stale state would cover it.
    for (let i = 0; i < 3; i++) {
      const id = await first.api.createClaim(crimeaClaimBody());
      await first.api.postEvidence(id, evidenceBody({ stance: 'contradicts' }));
      await waitFor('first log verified', () => first.api.claim(id), (c) => c.status === 'contradicted');
    }
    await first.close();

    const second = await bootJobsApp('bullmq', prefixes, { prefix });
    apps.push(second);
    const claimId = await second.api.createClaim(crimeaClaimBody());
    await second.api.postEvidence(claimId, evidenceBody({ stance: 'supports' }));
    const view = await waitFor('second log verified', () => second.api.claim(claimId), (c) => c.status === 'supported', { timeoutMs: 15_000 });
    expect(view.evidence).toHaveLength(1);
    expect(view.evidence[0]).toMatchObject({ stance: 'supports', attachedBy: 'checker' });
  }, 60_000);
});
