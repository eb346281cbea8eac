import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { canonicalize } from '../../../src/ledger/canonical-json';
import { GENESIS_HASH, eventHash } from '../../../src/ledger/hash-chain';
import { isStoredLevel } from '../../../src/projections/merkle-tree/tables';
import { appendLeaf, leafHash, nodeKey, type TreeNode } from '../../../src/transparency/merkle';
import { Db } from '../../reliability/support/sqlite';
import { assertFreshBuild } from '../../support/build';
import type { ServiceProcess } from '../../reliability/support/service';

const ROOT = join(__dirname, '..', '..', '..');

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a compiled tool (dist/transparency/cli/<name>.js) as a child process. */
export function runTool(name: 'witness' | 'verify-log', args: string[], env: Record<string, string> = {}): Promise<ToolRun> {
  assertFreshBuild(`transparency/cli/${name}.js`);
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'dist', 'transparency', 'cli', `${name}.js`), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** What the attacker needs of a database: SQLite (the file) or PostgreSQL (a schema). */
export interface RawDb {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  run(sql: string, params?: unknown[]): Promise<void>;
  /** Drops (SQLite) or disables (PostgreSQL) every trigger guarding the log and the checkpoints; returns how to put them back. */
  dropTriggers(): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export async function openSqliteRaw(path: string): Promise<RawDb> {
  const db = await Db.open(path);
  return {
    all: (sql, params) => db.all(sql, params),
    run: async (sql, params) => void (await db.run(sql, params)),
    async dropTriggers() {
      const triggers = await db.all<{ name: string; sql: string }>(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger'`);
      for (const t of triggers) await db.exec(`DROP TRIGGER "${t.name}"`);
      return async () => {
        for (const t of triggers) await db.exec(t.sql);
      };
    },
    close: () => db.close(),
  };
}

export async function openPgRaw(url: string, schema: string): Promise<RawDb> {
  const client = new PgClient({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  const positional = (sql: string) => {
    let i = 0;
    return sql.replace(/\?/g, () => `$${++i}`);
  };
  return {
    all: async <T>(sql: string, params: unknown[] = []) => (await client.query(positional(sql), params)).rows as T[],
    run: async (sql, params = []) => void (await client.query(positional(sql), params)),
    async dropTriggers() {
      await client.query('ALTER TABLE events DISABLE TRIGGER USER');
      await client.query('ALTER TABLE signed_checkpoints DISABLE TRIGGER USER');
      return async () => {
        await client.query('ALTER TABLE events ENABLE TRIGGER USER');
        await client.query('ALTER TABLE signed_checkpoints ENABLE TRIGGER USER');
      };
    },
    close: () => client.end(),
  };
}

interface Row {
  position: number | string;
  stream_id: string;
  stream_version: number | string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
  prev_hash: string;
  hash: string;
}

/**
 * The attack of issue 12, by someone holding the database: with the triggers out of the way,
 * edit the event at `position`, recompute every later hash and the whole stored Merkle tree
 * (so GET /api/ledger/verify says ok), drop the signed checkpoints that would contradict it,
 * and put the triggers back.
 */
export async function rewriteHistory(db: RawDb, position: number, edit: (data: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const restore = await db.dropTriggers();
  const rows = await db.all<Row>('SELECT position, stream_id, stream_version, type, data, metadata, recorded_at, prev_hash, hash FROM events ORDER BY position');
  let prev = GENESIS_HASH;
  const frontier: TreeNode[] = [];
  const nodes: TreeNode[] = [];
  for (const r of rows) {
    const p = Number(r.position);
    const data = p === position ? canonicalize(edit(JSON.parse(r.data))) : r.data;
    const hash = eventHash({ position: p, streamId: r.stream_id, streamVersion: Number(r.stream_version), type: r.type, dataJson: data, metadataJson: r.metadata, recordedAt: r.recorded_at, prevHash: prev });
    if (p >= position) await db.run('UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE position = ?', [data, prev, hash, p]);
    appendLeaf(frontier, p - 1, leafHash(Buffer.from(hash, 'hex')), (n) => {
      if (isStoredLevel(n.level)) nodes.push(n); // the levels the service stores
    });
    prev = hash;
  }
  await db.run('DELETE FROM merkle_nodes');
  for (const n of nodes) await db.run('INSERT INTO merkle_nodes (id, hash) VALUES (?, ?)', [nodeKey(n.level, n.index), n.hash]);
  await db.run('DELETE FROM checkpoint_cosignatures');
  await db.run('DELETE FROM signed_checkpoints');
  await restore();
}

/** One call to a service process's API with its admin key: the status, the raw text and the JSON (null when not JSON). */
export async function api(s: ServiceProcess, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(`${s.base}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${s.adminKey}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: res.status, text, json };
}
