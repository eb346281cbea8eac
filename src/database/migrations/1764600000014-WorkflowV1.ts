import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Workflow v1 (issue 14): the `editor` role for API keys, webhook endpoints, and the webhook
 * outbox (one row per event and endpoint: its deliveries, attempts and schedule). Webhook
 * tables are operational state, like api_keys: written through EventStore.transaction.
 */
export class WorkflowV11764600000014 implements MigrationInterface {
  name = 'WorkflowV11764600000014';

  async up(q: QueryRunner): Promise<void> {
    const postgres = q.connection.options.type === 'postgres';
    // api_keys.role accepts 'editor' (admin ⊃ editor ⊃ checker ⊃ viewer).
    if (postgres) {
      const rows: Array<{ conname: string }> = await q.query(
        `SELECT conname FROM pg_constraint WHERE conrelid = 'api_keys'::regclass AND contype = 'c'`,
      );
      for (const r of rows) await q.query(`ALTER TABLE api_keys DROP CONSTRAINT "${r.conname}"`);
      await q.query(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_role CHECK (role IN ('admin', 'editor', 'checker', 'viewer'))`);
    } else {
      // SQLite cannot alter a CHECK: the table is copied into a new one.
      await q.query(`CREATE TABLE api_keys_v2 (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'checker', 'viewer')),
        key_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      )`);
      await q.query(`INSERT INTO api_keys_v2 (id, name, role, key_hash, created_at, revoked_at) SELECT id, name, role, key_hash, created_at, revoked_at FROM api_keys`);
      await q.query(`DROP TABLE api_keys`);
      await q.query(`ALTER TABLE api_keys_v2 RENAME TO api_keys`);
    }

    await q.query(`CREATE TABLE webhooks (
      id TEXT PRIMARY KEY,
      url TEXT NOT NULL,
      events TEXT NOT NULL,
      description TEXT,
      secret TEXT NOT NULL,
      enabled INTEGER NOT NULL,
      disabled_reason TEXT,
      from_position INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`);

    await q.query(`CREATE TABLE webhook_deliveries (
      id TEXT PRIMARY KEY,
      webhook_id TEXT NOT NULL,
      type TEXT NOT NULL,
      position INTEGER NOT NULL,
      body TEXT NOT NULL,
      event_recorded_at TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      state TEXT NOT NULL,
      last_status INTEGER,
      last_error TEXT,
      next_attempt_at TEXT,
      lease_until TEXT,
      created_at TEXT NOT NULL,
      delivered_at TEXT
    )`);
    await q.query(`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at)`);
    await q.query(`CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, position)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webhook_deliveries`);
    await q.query(`DROP TABLE IF EXISTS webhooks`);
  }
}
