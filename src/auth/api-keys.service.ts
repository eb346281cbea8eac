import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { NotFoundError } from '../domain/errors';
import { EventStore } from '../ledger/event-store';
import type { Principal, Role } from './roles';
import type { SqlExecutor } from '../ledger/sql-executor';
import type { ApiKeyViewSchema } from './api-key.schema';

const KEY_PATTERN = /^clk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** The digest itself: what every request compares (no hex string to build and parse back). */
function keyDigest(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}

function sameDigest(x: Buffer, y: Buffer): boolean {
  return x.length === y.length && timingSafeEqual(x, y);
}

export const ENV_ADMIN_ID = '00000000-0000-4000-8000-000000000000';

/** An API key as the API shows it: never the key, only what it is. */
export type ApiKeyView = ApiKeyViewSchema;

/**
 * API keys: `clk_<id>_<secret>`. Only a SHA-256 of the whole key is stored (keys are 256-bit
 * random, so a slow hash adds nothing); the id inside the key finds the row, and the hashes
 * are compared in constant time. Every request reads the row, so revocation is immediate,
 * in every process.
 */
@Injectable()
export class ApiKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger('ApiKeys');
  private readonly envAdminDigest: Buffer | null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ds: DataSource,
    private readonly store: EventStore,
  ) {
    this.envAdminDigest = config.adminApiKey ? keyDigest(config.adminApiKey) : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.envAdminDigest) return;
    const key = await this.store.transaction(async (tx) => {
      const admin = await tx.get(`SELECT id FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL LIMIT 1`);
      if (admin) return null;
      const created = newKey();
      await tx.run('INSERT INTO api_keys (id, name, role, key_hash, created_at) VALUES (?, ?, ?, ?, ?)', [
        created.id, 'initial admin', 'admin', hashKey(created.key), new Date().toISOString(),
      ]);
      return created.key;
    });
    if (!key) return;
    if (this.config.production) {
      // In production stdout is collected by log pipelines: the key goes to a file only its
      // owner can read, and only the file's path is printed.
      mkdirSync(dirname(this.config.adminKeyFile), { recursive: true });
      writeFileSync(this.config.adminKeyFile, `${key}\n`, { mode: 0o600 });
      chmodSync(this.config.adminKeyFile, 0o600); // an existing file keeps its old mode otherwise
      process.stdout.write(
        `\n  No ADMIN_API_KEY was set, so claim-ledger made an admin key and wrote it to ${this.config.adminKeyFile} (mode 0600).\n` +
          `  Read it, store it elsewhere, and delete the file; only its hash is kept.\n\n`,
      );
      return;
    }
    // Printed once, on stdout and not through the logger, so it never lands in structured logs.
    process.stdout.write(
      `\n  No ADMIN_API_KEY was set, so claim-ledger made an admin key. It is shown only this once:\n\n    ${key}\n\n` +
        `  Store it now; only its hash is kept. Create other keys with POST /api/api-keys.\n\n`,
    );
  }

  async authenticate(presented: string): Promise<Principal | null> {
    return this.principalOf(presented);
  }

  /**
   * authenticate() without a promise where none is needed: ADMIN_API_KEY and a key that cannot be
   * one of ours are answered at once (the request hook then goes on in the same tick); a
   * `clk_` key is looked up (revocation stays immediate).
   */
  principalOf(presented: string): Principal | null | Promise<Principal | null> {
    const presentedDigest = keyDigest(presented);
    if (this.envAdminDigest && sameDigest(presentedDigest, this.envAdminDigest)) {
      return { id: ENV_ADMIN_ID, name: 'ADMIN_API_KEY', role: 'admin' };
    }
    const m = KEY_PATTERN.exec(presented);
    if (!m) return null;
    return this.storedKey(formatUuid(m[1]), presentedDigest);
  }

  private async storedKey(id: string, presentedDigest: Buffer): Promise<Principal | null> {
    const rows: Array<{ id: string; name: string; role: Role; key_hash: string }> = await this.ds.query(
      'SELECT id, name, role, key_hash FROM api_keys WHERE id = ? AND revoked_at IS NULL',
      [id],
    );
    const row = rows[0];
    if (!row || !sameDigest(presentedDigest, Buffer.from(row.key_hash, 'hex'))) return null;
    return { id: row.id, name: row.name, role: row.role };
  }

  async create(
    name: string,
    role: Role,
    inSameTransaction?: (tx: SqlExecutor, view: ApiKeyView) => Promise<void>,
  ): Promise<ApiKeyView & { key: string }> {
    const created = newKey();
    const createdAt = new Date().toISOString();
    await this.store.transaction(async (tx) => {
      await inSameTransaction?.(tx, { id: created.id, name, role, createdAt, revokedAt: null });
      await tx.run('INSERT INTO api_keys (id, name, role, key_hash, created_at) VALUES (?, ?, ?, ?, ?)', [
        created.id, name, role, hashKey(created.key), createdAt,
      ]);
    });
    return { id: created.id, name, role, createdAt, revokedAt: null, key: created.key };
  }

  async revoke(id: string): Promise<void> {
    const changed = await this.store.transaction(async (tx) => {
      const row = await tx.get<{ revoked_at: string | null }>('SELECT revoked_at FROM api_keys WHERE id = ?', [id]);
      if (!row) return false;
      if (!row.revoked_at) await tx.run('UPDATE api_keys SET revoked_at = ? WHERE id = ?', [new Date().toISOString(), id]);
      return true;
    });
    if (!changed) throw new NotFoundError(`no API key with id ${id}`, 'id');
  }

  /** Which of these key ids are revoked (the live feed polls this to close a revoked key's streams). */
  async revokedAmong(ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      const rows: Array<{ id: string }> = await this.ds.query(
        `SELECT id FROM api_keys WHERE revoked_at IS NOT NULL AND id IN (${batch.map(() => '?').join(', ')})`,
        batch,
      );
      for (const r of rows) out.add(r.id);
    }
    return out;
  }

  async list(): Promise<ApiKeyView[]> {
    const rows: Array<{ id: string; name: string; role: Role; created_at: string; revoked_at: string | null }> =
      await this.ds.query('SELECT id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at');
    return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }
}

function newKey(): { id: string; key: string } {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `clk_${id.replace(/-/g, '')}_${secret}` };
}

function formatUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
