import { crimeaClaimBody, evidenceBody } from '../support/app';
import { Client, expectStatus, isProblem, seen } from './support/client';
import { checkVerdict, feed, settle, until } from './support/ledger';
import { ServiceProcess, tempDir } from './support/service';
import { count, writeSummary } from './support/summary';

/**
 * Races over real HTTP against `node dist/main.js`: 50 writers holding the same ETag post
 * evidence with `If-Match` at once; exactly one gets in. (Two worker processes racing on one
 * claim, with retractions mixed in: worker-crash.spec.ts, which runs the worker processes.)
 */

jest.setTimeout(120_000);

const dir = tempDir('races');
let service: ServiceProcess;
let admin: Client;

beforeAll(async () => {
  service = await ServiceProcess.start({ dbPath: dir.file() });
  admin = new Client(service.base, service.adminKey);
});

afterAll(async () => {
  admin?.close();
  await service?.stop();
  dir.remove();
  writeSummary(__filename);
  expect(seen.serverErrors).toEqual([]);
});

describe('50 concurrent writes to one claim with the same If-Match', () => {
  it.each([['a fresh claim', 0], ['a claim that has moved on', 1]])('%s: exactly one 202, 49 × 412, one piece in the ledger', async (_label, rounds) => {
    const claimId = expectStatus(await admin.post('/api/claims', crimeaClaimBody()), 201).body.id as string;
    // Move it on first (evidence attached, status changed) so the ETag is not "1".
    for (let i = 0; i < rounds; i++) {
      expectStatus(await admin.post(`/api/claims/${claimId}/evidence`, evidenceBody({ summary: `warm-up ${i}` })), 202);
      await until('the warm-up evidence to be attached', () => admin.get(`/api/claims/${claimId}`), (r) => r.body.evidence.length === i + 1);
    }
    await settle(admin);
    const view = expectStatus(await admin.get(`/api/claims/${claimId}`), 200);
    const etag = view.headers.etag as string;
    expect(etag).toBe(`"${view.body.version}"`);

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        admin.post(`/api/claims/${claimId}/evidence`, evidenceBody({ summary: `racer ${i}` }), { headers: { 'if-match': etag } }),
      ),
    );
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 412);
    expect({ accepted: accepted.length, refused: refused.length, other: answers.filter((a) => a.status !== 202 && a.status !== 412).map((a) => a.status) }).toEqual({
      accepted: 1,
      refused: 49,
      other: [],
    });
    for (const r of refused) {
      expect(isProblem(r, 412)).toBe(true);
      expect(r.body.errors.map((e: { field: string }) => e.field)).toContain('If-Match');
    }
    count({ writesAcknowledged: accepted.length });

    await settle(admin);
    const events = await feed(admin);
    const racers = events.filter((e) => e.type === 'EvidenceSubmitted' && /^racer \d+$/.test((e.data as { summary: string }).summary) && (e.data as { claimId: string }).claimId === claimId);
    expect(racers.map((e) => e.streamId)).toEqual([`evidence-${accepted[0].body.evidenceId}`]);
    count({ foundAfterRecovery: racers.length, duplicates: racers.length - 1 });
    const { view: after } = await checkVerdict(admin, claimId);
    expect(after.evidence.map((e: { evidenceId: string }) => e.evidenceId)).toContain(accepted[0].body.evidenceId);
    expect(after.evidence).toHaveLength(rounds + 1);
  });
});
