import type { NewEvent, StoredEvent } from '../../../src/domain/events';
import type { AppendRequest } from '../../../src/ledger/event-store.types';
import { openLedgerOn, testMetadata, type TestLedger } from '../../support/ledger';

/**
 * The database itself keeps `events` append-only (triggers from the initial migration), on both
 * databases the service runs on: SQLite and PostgreSQL. Each statement is refused and leaves
 * every row as it was.
 */

const ev = (data: unknown): NewEvent => ({ type: 'EvidenceRetracted', data }) as NewEvent;
const appendReq = (streamId: string, expectedVersion: AppendRequest['expectedVersion'], events: NewEvent[]): AppendRequest => ({
  streamId,
  expectedVersion,
  events,
  metadata: testMetadata(),
});

const COLUMNS = 'position, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash';

/** Statements both databases understand. */
const UPDATES: Array<[string, string]> = [
  ['data', `UPDATE events SET data = '{"n":9}' WHERE position = 1`],
  ['hash', `UPDATE events SET hash = prev_hash WHERE position = 2`],
  ['every row', `UPDATE events SET recorded_at = recorded_at`],
];
const DELETES: Array<[string, string]> = [
  ['one row', 'DELETE FROM events WHERE position = 2'],
  ['every row', 'DELETE FROM events'],
];
const SWAPS: Record<'sqlite' | 'postgres', Array<[string, string]>> = {
  sqlite: [
    ['INSERT OR REPLACE on a position', `INSERT OR REPLACE INTO events (${COLUMNS}) SELECT position, stream_id, stream_version, type, '{"n":42}', metadata, recorded_at, prev_hash, hash FROM events WHERE position = 1`],
    ['REPLACE INTO on a stream version', `REPLACE INTO events (${COLUMNS}) SELECT 99, stream_id, stream_version, type, '{"n":42}', metadata, recorded_at, prev_hash, hash FROM events WHERE position = 2`],
    ['UPSERT', `INSERT INTO events (${COLUMNS}) SELECT ${COLUMNS} FROM events WHERE position = 1 ON CONFLICT (position) DO UPDATE SET data = '{"n":42}'`],
  ],
  postgres: [
    ['UPSERT', `INSERT INTO events (${COLUMNS}) SELECT ${COLUMNS} FROM events WHERE position = 1 ON CONFLICT (position) DO UPDATE SET data = '{"n":42}'`],
    ['TRUNCATE', 'TRUNCATE events'],
  ],
};

describe.each(['sqlite', 'postgres'] as const)('events stay append-only on %s', (dialect) => {
  let l: TestLedger;
  const all = (): Promise<StoredEvent[]> => l.reader.readAfter(0, 100);

  beforeEach(async () => {
    l = await openLedgerOn(dialect);
    await l.store.append(appendReq('claim-a', 0, [ev({ n: 1 }), ev({ n: 2 })]));
  });

  afterEach(async () => {
    await l?.close();
  });

  it('runs on the database it says', () => {
    expect(l.store.dialect).toBe(dialect);
    expect(l.ds.options.type).toBe(dialect);
  });

  it.each(UPDATES)('UPDATE of %s is refused', async (_what, sql) => {
    const before = await all();
    await expect(l.ds.query(sql)).rejects.toThrow('events is append-only: UPDATE refused');
    expect(await all()).toEqual(before);
  });

  it.each(DELETES)('DELETE of %s is refused', async (_what, sql) => {
    const before = await all();
    await expect(l.ds.query(sql)).rejects.toThrow('events is append-only: DELETE refused');
    expect(await all()).toEqual(before);
  });

  it.each(SWAPS[dialect])('%s cannot swap out or remove stored rows', async (_what, sql) => {
    // SQLite's REPLACE deletes the conflicting row without firing DELETE triggers (unless recursive
    // triggers are on), and PostgreSQL's TRUNCATE fires no row trigger: each has a trigger of its own.
    const before = await all();
    await expect(l.ds.query(sql)).rejects.toThrow(/append-only/);
    expect(await all()).toEqual(before);
  });

  it('appending still works after the refusals', async () => {
    await expect(l.ds.query('DELETE FROM events')).rejects.toThrow(/append-only/);
    await expect(l.store.append(appendReq('claim-a', 2, [ev({ n: 3 })]))).resolves.toMatchObject({ position: 3, version: 3 });
  });
});
