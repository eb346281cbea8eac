import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transparency v1 (docs/transparency.md): the stored Merkle tree over the log (a read model,
 * rebuilt with the others), the signed checkpoints (append-only, like `events`), the
 * registered witnesses and their cosignatures.
 */
export class Transparency1764600000012 implements MigrationInterface {
  name = 'Transparency1764600000012';

  async up(q: QueryRunner): Promise<void> {
    const postgres = q.connection.options.type === 'postgres';
    const blob = postgres ? 'BYTEA' : 'BLOB';
    // Perfect subtrees of level ≥ 1: node (level, index) covers positions index·2^level + 1 ..
    // (index+1)·2^level; id = (index+1)·2^level·64 + level (src/transparency/merkle.ts nodeKey),
    // which grows as appends complete nodes: inserts land at the table's right edge.
    await q.query(`CREATE TABLE merkle_nodes (
      id ${postgres ? 'BIGINT' : 'INTEGER'} PRIMARY KEY,
      hash ${blob} NOT NULL
    )`);

    await q.query(`CREATE TABLE signed_checkpoints (
      size INTEGER PRIMARY KEY,
      root_hash TEXT NOT NULL,
      note TEXT NOT NULL,
      signed_at TEXT NOT NULL
    )`);
    if (postgres) {
      await q.query(`CREATE FUNCTION signed_checkpoints_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'signed_checkpoints is append-only: % refused', TG_OP; END $$`);
      await q.query(`CREATE TRIGGER signed_checkpoints_refuse_update BEFORE UPDATE ON signed_checkpoints FOR EACH ROW EXECUTE FUNCTION signed_checkpoints_refuse_change()`);
      await q.query(`CREATE TRIGGER signed_checkpoints_refuse_delete BEFORE DELETE ON signed_checkpoints FOR EACH ROW EXECUTE FUNCTION signed_checkpoints_refuse_change()`);
    } else {
      await q.query(`CREATE TRIGGER signed_checkpoints_refuse_update BEFORE UPDATE ON signed_checkpoints
        BEGIN SELECT RAISE(ABORT, 'signed_checkpoints is append-only: UPDATE refused'); END`);
      await q.query(`CREATE TRIGGER signed_checkpoints_refuse_delete BEFORE DELETE ON signed_checkpoints
        BEGIN SELECT RAISE(ABORT, 'signed_checkpoints is append-only: DELETE refused'); END`);
    }

    await q.query(`CREATE TABLE witnesses (
      name TEXT PRIMARY KEY,
      vkey TEXT NOT NULL,
      created_at TEXT NOT NULL
    )`);
    await q.query(`CREATE TABLE checkpoint_cosignatures (
      size INTEGER NOT NULL,
      witness TEXT NOT NULL,
      line TEXT NOT NULL,
      cosigned_at INTEGER NOT NULL,
      received_at TEXT NOT NULL,
      PRIMARY KEY (size, witness)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const postgres = q.connection.options.type === 'postgres';
    await q.query('DROP TABLE checkpoint_cosignatures');
    await q.query('DROP TABLE witnesses');
    await q.query('DROP TABLE signed_checkpoints');
    if (postgres) await q.query('DROP FUNCTION signed_checkpoints_refuse_change()');
    await q.query('DROP TABLE merkle_nodes');
  }
}
