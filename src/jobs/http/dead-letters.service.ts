import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError, UnavailableError } from '../../domain/errors';
import { DeadLetterStore, type DeadLetter, type DeadLetterState } from '../dead-letters';
import { JOB_SINK } from '../jobs.module';
import type { JobSink } from '../job-sink';
import type { DeadLetterPageSchema } from './dead-letter.schema';

/** Lists dead letters and retries them (the admin routes). */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly store: DeadLetterStore,
    @Inject(JOB_SINK) private readonly sink: JobSink,
  ) {}

  async list(state: DeadLetterState | 'all', limit: number, cursor?: string): Promise<DeadLetterPageSchema> {
    const after = cursor ? /^(\d+):(.+)$/.exec(cursor) : null;
    const rows = await this.store.list({
      states: state === 'all' ? undefined : [state],
      limit: limit + 1,
      ...(after ? { afterPosition: Number(after[1]), afterId: after[2] } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: rows.length > limit && last ? `${last.position}:${last.id}` : null, counts: await this.store.counts() };
  }

  async get(id: string): Promise<DeadLetter> {
    const letter = await this.store.get(id);
    if (!letter) throw new NotFoundError(`no dead letter with id ${id}`, 'id');
    return letter;
  }

  /**
   * dead → retrying, and the job goes back under its own id. Retrying one already being retried
   * answers its state again (a repeated click changes nothing); a resolved one is 409.
   */
  async retry(id: string): Promise<DeadLetter> {
    const letter = await this.get(id);
    if (letter.state === 'resolved') throw new ConflictError(`dead letter ${id} is resolved: a retry already completed it`, 'id');
    if (letter.state === 'retrying') return letter;
    // Marked first: the in-process sink may finish the job before this call returns.
    if (!(await this.store.markRetrying(id))) return this.get(id);
    try {
      await this.sink.retry(await this.get(id));
    } catch (err) {
      await this.store.revertRetrying(id);
      throw new UnavailableError(`the job could not be re-enqueued (${(err as Error).message}); try again`);
    }
    return this.get(id);
  }
}
