import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventStore } from '../ledger/event-store';
import type { SqlExecutor } from '../ledger/sql-executor';
import { queryOfTx, storedRoot } from '../projections/merkle-tree/queries';
import { formatCheckpoint, signNote, verifyNote } from './note';
import { loadSigningKey, type LogSigningKey } from './signing-key';

export interface SignedCheckpoint {
  size: number;
  /** Lowercase hex. */
  rootHash: string;
  /** The signed note: body, blank line, the log's signature line. */
  note: string;
  signedAt: string;
}

interface CheckpointRow {
  size: number | string;
  root_hash: string;
  note: string;
  signed_at: string;
}

const toCheckpoint = (r: CheckpointRow): SignedCheckpoint => ({ size: Number(r.size), rootHash: r.root_hash, note: r.note, signedAt: r.signed_at });
const LATEST_SQL = 'SELECT size, root_hash, note, signed_at FROM signed_checkpoints ORDER BY size DESC LIMIT 1';

/** The signer will not sign: its last checkpoint no longer matches the log (or another key signed it). */
export class CheckpointRefused extends Error {}

/**
 * Signs C2SP checkpoints of the log (docs/transparency.md): when the log has grown, at most
 * every CHECKPOINT_INTERVAL_MS, and on demand. Each signature is taken inside
 * `EventStore.transaction`, under the ledger's write lock (BEGIN IMMEDIATE on SQLite, the
 * advisory lock on PostgreSQL): the head cannot move meanwhile, and processes sharing one
 * database sign one sequence, sizes strictly growing, one checkpoint per size. Before signing,
 * the tree must still have, at the last signed size, the root signed then: a log rewritten
 * under it is refused (and logged), never signed over.
 */
@Injectable()
export class CheckpointSigner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Checkpoints');
  readonly key: LogSigningKey;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<SignedCheckpoint | null> | null = null;
  private lastRefusal: string | null = null;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: EventStore,
    private readonly ds: DataSource,
  ) {
    this.key = loadSigningKey({ configured: config.ledgerSigningKey, databasePath: config.databasePath, name: config.ledgerOrigin });
  }

  get origin(): string {
    return this.key.name;
  }

  onApplicationBootstrap(): void {
    if (this.key.generated) {
      // Printed once, on stdout and not through the logger (like the first admin key): the public half only.
      process.stdout.write(
        `\n  No LEDGER_SIGNING_KEY was set, so claim-ledger made a checkpoint signing key (${this.key.source}, mode 0600).\n` +
          `  The log's public key (vkey), for witnesses and auditors:\n\n    ${this.key.vkey}\n\n` +
          `  It is also served at GET /api/checkpoint/key.\n\n`,
      );
    }
    this.timer = setInterval(() => void this.signIfGrown().catch(() => undefined), this.config.checkpointIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Signs a checkpoint of the head if the log has grown since the last one; concurrent calls share one signing. */
  signIfGrown(): Promise<SignedCheckpoint | null> {
    if (this.stopped) return Promise.resolve(null);
    if (!this.inFlight) {
      this.inFlight = this.store
        .transaction((tx) => this.signIn(tx))
        .then(
          (signed) => {
            this.lastRefusal = null;
            return signed;
          },
          (err: unknown) => {
            const message = err instanceof Error ? err.message : String(err);
            if (message !== this.lastRefusal) this.logger.error(`no checkpoint signed: ${message}`);
            this.lastRefusal = message;
            throw err;
          },
        )
        .finally(() => (this.inFlight = null));
    }
    return this.inFlight;
  }

  private async signIn(tx: SqlExecutor): Promise<SignedCheckpoint | null> {
    const head = Number((await tx.get<{ n: number | string | null }>('SELECT MAX(position) AS n FROM events'))?.n ?? 0);
    const latestRow = await tx.get<CheckpointRow>(LATEST_SQL);
    const latest = latestRow ? toCheckpoint(latestRow) : null;
    if (head === 0 || (latest && head <= latest.size)) return null;
    const q = queryOfTx(tx);
    if (latest) {
      try {
        verifyNote(latest.note, this.key.vkey);
      } catch {
        throw new CheckpointRefused(`the latest checkpoint (size ${latest.size}) is not signed by this log's key ${this.key.vkey}: set LEDGER_SIGNING_KEY to the key that signed it`);
      }
      const then = (await storedRoot(q, latest.size)).toString('hex');
      if (then !== latest.rootHash) {
        throw new CheckpointRefused(
          `the tree at size ${latest.size} has root ${then}, not the ${latest.rootHash} signed then: the log was rewritten under its checkpoints; refusing to sign`,
        );
      }
    }
    const root = await storedRoot(q, head);
    const note = signNote(formatCheckpoint(this.origin, head, root), this.origin, this.key.privateKey);
    const signed: SignedCheckpoint = { size: head, rootHash: root.toString('hex'), note, signedAt: new Date().toISOString() };
    await tx.run('INSERT INTO signed_checkpoints (size, root_hash, note, signed_at) VALUES (?, ?, ?, ?)', [signed.size, signed.rootHash, signed.note, signed.signedAt]);
    return signed;
  }

  async latest(): Promise<SignedCheckpoint | null> {
    const rows: CheckpointRow[] = await this.ds.query(LATEST_SQL);
    return rows[0] ? toCheckpoint(rows[0]) : null;
  }

  async at(size: number): Promise<SignedCheckpoint | null> {
    const rows: CheckpointRow[] = await this.ds.query('SELECT size, root_hash, note, signed_at FROM signed_checkpoints WHERE size = ?', [size]);
    return rows[0] ? toCheckpoint(rows[0]) : null;
  }
}
