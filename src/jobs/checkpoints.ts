import type { DataSource } from 'typeorm';
import type { EventStore } from '../ledger/event-store';

export async function readCheckpoint(ds: DataSource, name: string): Promise<number> {
  const rows: Array<{ position: number }> = await ds.query('SELECT position FROM checkpoints WHERE name = ?', [name]);
  return rows[0]?.position ?? 0;
}

/** Never moves backwards, so two dispatchers sharing a name cannot undo each other. */
export function saveCheckpoint(store: EventStore, name: string, position: number): Promise<void> {
  return store.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO checkpoints (name, position, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at,
         position = CASE WHEN excluded.position > checkpoints.position THEN excluded.position ELSE checkpoints.position END`,
      [name, position, new Date().toISOString()],
    );
  });
}
