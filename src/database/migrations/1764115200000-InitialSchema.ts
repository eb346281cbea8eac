import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger (`events`, append-only by trigger) and the tables derived from it.
 * Read-model tables can always be dropped and rebuilt from `events`; `events` never changes.
 */
export class InitialSchema1764115200000 implements MigrationInterface {
  name = 'InitialSchema1764115200000';

  async up(q: QueryRunner): Promise<void> {
    const postgres = q.connection.options.type === 'postgres';
    await q.query(`CREATE TABLE events (
      position INTEGER PRIMARY KEY,
      stream_id TEXT NOT NULL,
      stream_version INTEGER NOT NULL,
      type TEXT NOT NULL,
      data TEXT NOT NULL,
      metadata TEXT NOT NULL,
      recorded_at TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL,
      CONSTRAINT events_stream_version UNIQUE (stream_id, stream_version)
    )`);
    if (postgres) {
      await q.query(`CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'events is append-only: % refused', TG_OP; END $$`);
      await q.query(`CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION events_refuse_change()`);
      await q.query(`CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_refuse_change()`);
      await q.query(`CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()`);
    } else {
      await q.query(`CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events is append-only: UPDATE refused'); END`);
      await q.query(`CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events is append-only: DELETE refused'); END`);
      // REPLACE deletes the conflicting row without firing DELETE triggers: refuse it up front.
      await q.query(`CREATE TRIGGER events_refuse_replace BEFORE INSERT ON events
        WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position
                     OR (stream_id = NEW.stream_id AND stream_version = NEW.stream_version))
        BEGIN SELECT RAISE(ABORT, 'events is append-only: REPLACE refused'); END`);
    }

    await q.query(`CREATE TABLE idempotency_keys (
      scope TEXT NOT NULL,
      key TEXT NOT NULL,
      request_hash TEXT NOT NULL,
      status INTEGER NOT NULL,
      body TEXT NOT NULL,
      headers TEXT NOT NULL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (scope, key)
    )`);

    await q.query(`CREATE TABLE checkpoints (
      name TEXT PRIMARY KEY,
      position INTEGER NOT NULL,
      updated_at TEXT NOT NULL
    )`);

    await q.query(`CREATE TABLE api_keys (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('admin', 'checker', 'viewer')),
      key_hash TEXT NOT NULL,
      created_at TEXT NOT NULL,
      revoked_at TEXT
    )`);

    // Read model behind GET /api/claims (written in the append's transaction).
    await q.query(`CREATE TABLE claims (
      id TEXT PRIMARY KEY,
      position INTEGER NOT NULL UNIQUE,
      kind TEXT NOT NULL,
      statement TEXT NOT NULL,
      statement_norm TEXT NOT NULL,
      speaker_name TEXT NOT NULL,
      speaker_norm TEXT NOT NULL,
      made_at TEXT NOT NULL,
      status TEXT NOT NULL,
      version INTEGER NOT NULL,
      recorded_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      summary TEXT NOT NULL
    )`);
    await q.query(`CREATE INDEX claims_kind_position ON claims (kind, position)`);
    await q.query(`CREATE INDEX claims_status_position ON claims (status, position)`);
    await q.query(`CREATE INDEX claims_speaker_position ON claims (speaker_norm, position)`);
    await q.query(`CREATE TABLE claim_topics (
      claim_id TEXT NOT NULL,
      topic_norm TEXT NOT NULL,
      position INTEGER NOT NULL,
      PRIMARY KEY (topic_norm, position, claim_id)
    )`);

    // Pledges with a scope: what the matcher compares reports against.
    await q.query(`CREATE TABLE pledge_scopes (
      claim_id TEXT PRIMARY KEY,
      position INTEGER NOT NULL,
      scope TEXT NOT NULL
    )`);

    // Evidence and reports, their retraction, and where they are attached.
    await q.query(`CREATE TABLE evidence (
      id TEXT PRIMARY KEY,
      position INTEGER NOT NULL UNIQUE,
      claim_id TEXT,
      is_report INTEGER NOT NULL,
      data TEXT NOT NULL,
      recorded_at TEXT NOT NULL,
      retracted_at TEXT,
      retraction_reason TEXT
    )`);
    await q.query(`CREATE INDEX evidence_reports ON evidence (is_report, position)`);
    await q.query(`CREATE TABLE attachments (
      claim_id TEXT NOT NULL,
      evidence_id TEXT NOT NULL,
      stance TEXT NOT NULL,
      attached_by TEXT NOT NULL,
      attached_at TEXT NOT NULL,
      attached_position INTEGER NOT NULL,
      detached_position INTEGER,
      PRIMARY KEY (claim_id, evidence_id)
    )`);
    await q.query(`CREATE INDEX attachments_by_evidence ON attachments (evidence_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['attachments', 'evidence', 'pledge_scopes', 'claim_topics', 'claims', 'api_keys', 'checkpoints', 'idempotency_keys']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
    if (q.connection.options.type === 'postgres') {
      await q.query(`DROP TABLE IF EXISTS events`);
      await q.query(`DROP FUNCTION IF EXISTS events_refuse_change()`);
    } else {
      await q.query(`DROP TRIGGER IF EXISTS events_refuse_update`);
      await q.query(`DROP TRIGGER IF EXISTS events_refuse_delete`);
      await q.query(`DROP TRIGGER IF EXISTS events_refuse_replace`);
      await q.query(`DROP TABLE IF EXISTS events`);
    }
  }
}
