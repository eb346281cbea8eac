import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RequestValidationError } from '../common/http/request-validation.error';
import { NotFoundError } from '../domain/errors';
import type { Actor } from '../domain/events';
import type { ImportJobs } from './import-jobs';
import type { ImportQueryDto } from './import.dto';
import type { ImportListSchema, ImportViewSchema } from './import.schema';
import type { ImportRecord, ImportStore } from './import-store';

export const DEFAULT_DATASET_URL = 'https://acleddata.com/data-export-tool/';

class TooLarge extends Error {}

/** Where uploads are kept: IMPORT_DIR, else an `imports` folder beside the SQLite file. */
export function importDirOf(config: { importDir: string | null; databasePath: string }): string {
  return resolve(config.importDir ?? join(dirname(config.databasePath), 'imports'));
}

export class ImportsService {
  constructor(
    private readonly imports: ImportStore,
    private readonly jobs: ImportJobs,
    private readonly options: { dir: string; maxBytes: number },
  ) {}

  /**
   * Streams the body to a file (hashing it on the way; never the whole file in memory), records
   * the import as queued and wakes the poll. Over `maxBytes`: 413 and nothing is kept.
   */
  async upload(body: Readable, declaredLength: number | null, query: ImportQueryDto, actor: Actor): Promise<{ importId: string }> {
    const tooLarge = () => RequestValidationError.field('body', `the file is larger than IMPORT_MAX_BYTES (${this.options.maxBytes} bytes)`, 413);
    if (declaredLength !== null && declaredLength > this.options.maxBytes) {
      body.resume(); // let the client finish sending; the answer is 413 either way
      throw tooLarge();
    }
    const id = randomUUID();
    await mkdir(this.options.dir, { recursive: true });
    const partial = join(this.options.dir, `${id}.part`);
    const final = join(this.options.dir, `${id}.${query.format === 'ndjson' ? 'ndjson' : 'csv'}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const max = this.options.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > max) return done(new TooLarge());
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(partial));
    } catch (err) {
      await unlink(partial).catch(() => undefined);
      if (err instanceof TooLarge) {
        body.resume();
        throw tooLarge();
      }
      throw err;
    }
    if (bytes === 0) {
      await unlink(partial).catch(() => undefined);
      throw RequestValidationError.field('body', 'the body is empty: send the file');
    }
    await rename(partial, final);
    await this.imports.create({
      id,
      dataset: query.dataset,
      format: query.format,
      datasetUrl: query.datasetUrl ?? DEFAULT_DATASET_URL,
      reliability: query.reliability ?? 'B',
      credibility: query.credibility ?? 2,
      sha256: hash.digest('hex'),
      bytes,
      filePath: final,
      createdBy: JSON.stringify(actor),
    });
    this.jobs.kick();
    return { importId: id };
  }

  async view(id: string): Promise<ImportViewSchema> {
    const imp = await this.imports.get(id);
    if (!imp) throw new NotFoundError(`no import with id ${id}`, 'id');
    return viewOf(imp, true);
  }

  async list(limit: number, cursor: string | undefined): Promise<ImportListSchema> {
    let after: { createdAt: string; id: string } | null = null;
    if (cursor) {
      try {
        const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
        if (typeof createdAt !== 'string' || typeof id !== 'string') throw new Error('bad');
        after = { createdAt, id };
      } catch {
        throw RequestValidationError.field('cursor', 'cursor must be the nextCursor of a previous page');
      }
    }
    const rows = await this.imports.list(limit + 1, after);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => viewOf(r, false)),
      nextCursor: rows.length > limit && last ? Buffer.from(JSON.stringify([last.createdAt, last.id])).toString('base64url') : null,
    };
  }
}

function viewOf(imp: ImportRecord, withErrors: boolean): ImportViewSchema {
  return {
    id: imp.id,
    dataset: imp.dataset,
    format: imp.format,
    state: imp.state,
    sha256: imp.sha256,
    bytes: imp.bytes,
    ...imp.counts,
    ...(withErrors ? { errors: imp.errors } : {}),
    failure: imp.failure,
    createdAt: imp.createdAt,
    startedAt: imp.startedAt,
    finishedAt: imp.finishedAt,
  };
}
