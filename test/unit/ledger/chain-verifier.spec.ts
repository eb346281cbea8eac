import { ChainVerifier, type VerifyRun } from '../../../src/ledger/chain-verifier';
import type { NewEvent } from '../../../src/domain/events';
import { openLedger, testMetadata, type TestLedger } from '../../support/ledger';

/**
 * ChainVerifier on a real SQLite file: each event hashed once, an unchanged head answered from
 * the last walk, concurrent asks sharing one walk, damage sticky until a full walk passes, and a
 * verified point whose stored hash changed (or a shorter log) turning the next ask into a full walk.
 */

const ev = (n: number): NewEvent => ({ type: 'EvidenceRetracted', data: { n } }) as unknown as NewEvent;

describe('ChainVerifier', () => {
  let l: TestLedger;
  let verifier: ChainVerifier;
  let runs: VerifyRun[];

  const append = async (from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      await l.store.append({ streamId: `s-${i}`, expectedVersion: 0, events: [ev(i)], metadata: testMetadata() });
    }
  };

  beforeEach(async () => {
    l = await openLedger();
    verifier = new ChainVerifier(l.reader, () => [], 4);
    runs = [];
    verifier.onRun((r) => runs.push(r));
    await append(1, 10);
  });
  afterEach(async () => {
    await l.close();
  });

  it('hashes each event once: concurrent asks share a walk, the same head re-hashes nothing, new events only after an append', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => verifier.verify()));
    for (const a of answers) expect(a).toMatchObject({ ok: true, checked: 10, head: { position: 10 } });
    expect(runs).toEqual([{ mode: 'incremental', rehashed: 10, ok: true }]);
    expect(await verifier.verify()).toMatchObject({ ok: true, checked: 10 });
    expect(runs).toHaveLength(1);
    await append(11, 3);
    expect(await verifier.verify()).toMatchObject({ ok: true, checked: 13, head: { position: 13 } });
    expect(runs[1]).toEqual({ mode: 'incremental', rehashed: 3, ok: true });
    expect(await verifier.verify({ full: true })).toMatchObject({ ok: true, checked: 13 });
    expect(runs[2]).toEqual({ mode: 'full', rehashed: 13, ok: true });
  });

  it('an edit behind the verified point: only a full walk sees it; then every ask reports it until a full walk passes', async () => {
    await verifier.verify();
    await l.ds.query('DROP TRIGGER events_refuse_update');
    const original = (await l.ds.query('SELECT data FROM events WHERE position = 3'))[0].data as string;
    await l.ds.query(`UPDATE events SET data = '{"n":333}' WHERE position = 3`);
    expect(await verifier.verify()).toMatchObject({ ok: true, checked: 10 }); // the trade-off (docs/security.md)
    expect(await verifier.verify({ full: true })).toMatchObject({ ok: false, firstBadPosition: 3 });
    await append(11, 1);
    expect(await verifier.verify()).toMatchObject({ ok: false, firstBadPosition: 3 });
    expect(verifier.knownDamage).toMatchObject({ firstBadPosition: 3 });
    await l.ds.query('UPDATE events SET data = ? WHERE position = 3', [original]);
    expect(await verifier.verify()).toMatchObject({ ok: false, firstBadPosition: 3 });
    expect(await verifier.verify({ full: true })).toMatchObject({ ok: true, checked: 11 });
    expect(await verifier.verify()).toMatchObject({ ok: true, checked: 11 });
    expect(verifier.knownDamage).toBeNull();
  });

  it('a verified point whose stored hash changed, or a shorter log, makes the next ask a full walk', async () => {
    await verifier.verify();
    await l.ds.query('DROP TRIGGER events_refuse_update');
    await l.ds.query(`UPDATE events SET hash = '${'a'.repeat(64)}' WHERE position = 10`);
    expect(await verifier.verify()).toMatchObject({ ok: false, firstBadPosition: 10, problem: 'hash does not match the event' });
    expect(runs.at(-1)).toMatchObject({ mode: 'full', rehashed: 10 });

    await l.ds.query('DROP TRIGGER events_refuse_delete');
    await l.ds.query('DELETE FROM events WHERE position = 10');
    expect(await verifier.verify({ full: true })).toMatchObject({ ok: true, checked: 9 });
    await l.ds.query('DELETE FROM events WHERE position = 9');
    expect(await verifier.verify()).toMatchObject({ ok: true, checked: 8 });
    expect(runs.at(-1)).toMatchObject({ mode: 'full', rehashed: 8 });
  });
});
