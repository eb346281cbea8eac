import type { MigrationInterface, QueryRunner } from 'typeorm';
import { reportIndexEntry, scopeIndexEntry } from '../../domain/match-index';
import type { ReportFacts } from '../../domain/matching';
import type { Scope } from '../../domain/types';

/**
 * Import v1 (issue 13): the imports table (operational state, like checkpoints: each import's
 * file, state, counts and first errors, written through EventStore.transaction) and three
 * read-model tables: external_reports (dataset row → report), report_keys (reports by place key
 * and time, for matching a new pledge) and pledge_scope_keys (pledge scopes by place key and
 * window, for matching a report). The index tables are filled here from what the read models
 * already hold, so an upgraded ledger needs no rebuild.
 */
export class ImportV11764600000013 implements MigrationInterface {
  name = 'ImportV11764600000013';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE imports (
      id TEXT PRIMARY KEY,
      dataset TEXT NOT NULL,
      format TEXT NOT NULL,
      dataset_url TEXT NOT NULL,
      reliability TEXT NOT NULL,
      credibility INTEGER NOT NULL,
      state TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      bytes BIGINT NOT NULL,
      file_path TEXT NOT NULL,
      done_line BIGINT NOT NULL DEFAULT 0,
      pending TEXT,
      rows_seen BIGINT NOT NULL DEFAULT 0,
      accepted BIGINT NOT NULL DEFAULT 0,
      revised BIGINT NOT NULL DEFAULT 0,
      unchanged BIGINT NOT NULL DEFAULT 0,
      stale BIGINT NOT NULL DEFAULT 0,
      retracted BIGINT NOT NULL DEFAULT 0,
      rejected BIGINT NOT NULL DEFAULT 0,
      errors TEXT NOT NULL DEFAULT '[]',
      failure TEXT,
      created_by TEXT,
      created_at TEXT NOT NULL,
      started_at TEXT,
      finished_at TEXT
    )`);
    await q.query('CREATE INDEX imports_created ON imports (created_at, id)');
    await q.query('CREATE INDEX imports_state ON imports (state)');

    await q.query(`CREATE TABLE external_reports (
      dataset TEXT NOT NULL,
      external_id TEXT NOT NULL,
      evidence_id TEXT NOT NULL,
      revision BIGINT NOT NULL,
      version INTEGER NOT NULL,
      retracted INTEGER NOT NULL,
      PRIMARY KEY (dataset, external_id)
    )`);
    await q.query('CREATE INDEX external_reports_evidence ON external_reports (evidence_id)');

    await q.query(`CREATE TABLE report_keys (
      key TEXT NOT NULL,
      evidence_id TEXT NOT NULL,
      observed_ms BIGINT NOT NULL
    )`);
    await q.query('CREATE INDEX report_keys_key ON report_keys (key, observed_ms)');
    await q.query('CREATE INDEX report_keys_evidence ON report_keys (evidence_id)');

    await q.query(`CREATE TABLE pledge_scope_keys (
      key TEXT NOT NULL,
      claim_id TEXT NOT NULL,
      from_ms BIGINT NOT NULL,
      until_ms BIGINT
    )`);
    await q.query('CREATE INDEX pledge_scope_keys_key ON pledge_scope_keys (key, from_ms)');

    // Fill the indexes from the read models as they stand (a new ledger has nothing here).
    const scopes: Array<{ claim_id: string; scope: string }> = await q.query('SELECT claim_id, scope FROM pledge_scopes');
    for (const s of scopes) {
      const entry = scopeIndexEntry(JSON.parse(s.scope) as Scope);
      for (const key of entry?.keys ?? []) {
        await q.query('INSERT INTO pledge_scope_keys (key, claim_id, from_ms, until_ms) VALUES ($1, $2, $3, $4)'.replace(/\$\d/g, q.connection.options.type === 'postgres' ? (m) => m : () => '?'), [
          key, s.claim_id, entry!.fromMs, entry!.untilMs,
        ]);
      }
    }
    const reports: Array<{ id: string; data: string }> = await q.query('SELECT id, data FROM evidence WHERE is_report = 1');
    for (const r of reports) {
      const entry = reportIndexEntry(JSON.parse(r.data) as ReportFacts);
      for (const key of entry?.keys ?? []) {
        await q.query('INSERT INTO report_keys (key, evidence_id, observed_ms) VALUES ($1, $2, $3)'.replace(/\$\d/g, q.connection.options.type === 'postgres' ? (m) => m : () => '?'), [
          key, r.id, entry!.observedMs,
        ]);
      }
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['pledge_scope_keys', 'report_keys', 'external_reports', 'imports']) await q.query(`DROP TABLE ${t}`);
  }
}
