import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead letters (issue 15.17): one row per verification job that failed all its attempts. The
 * dispatcher's "finished" watermark moves past a job once it is recorded here, and an admin
 * retries it from here (POST /api/admin/dead-letters/:id/retry). Operational state, like
 * api_keys: written through EventStore.transaction. The id is the job id (deterministic:
 * `<queue>_<hash12>_<position>`), so recording the same failure twice keeps one row.
 */
export class DeadLetters1764600000020 implements MigrationInterface {
  name = 'DeadLetters1764600000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE dead_letters (
      id TEXT PRIMARY KEY,
      queue TEXT NOT NULL,
      data TEXT NOT NULL,
      position INTEGER NOT NULL,
      last_error TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('dead', 'retrying', 'resolved')),
      failed_at TEXT NOT NULL,
      retries INTEGER NOT NULL DEFAULT 0,
      retried_at TEXT,
      resolved_at TEXT
    )`);
    await q.query(`CREATE INDEX dead_letters_by_state ON dead_letters (state, position)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS dead_letters`);
  }
}
