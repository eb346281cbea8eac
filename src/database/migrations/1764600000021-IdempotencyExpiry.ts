import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency-Key records expire (issue 16.8, IDEMPOTENCY_TTL_HOURS): the background purge
 * deletes the oldest first in small batches, which without this index would scan the whole
 * table under the write lock on every batch.
 */
export class IdempotencyExpiry1764600000021 implements MigrationInterface {
  name = 'IdempotencyExpiry1764600000021';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX idempotency_keys_by_created_at ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idempotency_keys_by_created_at`);
  }
}
