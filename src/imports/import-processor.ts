import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse, type CsvError, type Info } from 'csv-parse';
import type { DataSource } from 'typeorm';
import { ConcurrencyError, ConflictError } from '../domain/errors';
import { decideEvidence, foldEvidence, initialEvidenceState } from '../domain/evidence.decider';
import { evidenceStreamId, importStreamId, type EventMetadata, type EvidenceSubmittedData, type NewEvent } from '../domain/events';
import type { EventStore } from '../ledger/event-store';
import type { LedgerReader } from '../ledger/ledger-reader';
import { externalReports, type ExternalReportRow } from '../projections/report-index/queries';
import { ACLED_REQUIRED_COLUMNS, mapAcledDeletion, mapAcledRow, type RowError } from './acled';
import { ImportStore, MAX_ERRORS, zeroCounts, type ImportCounts, type ImportRecord, type PendingBatch } from './import-store';
import { mapNdjsonLine } from './ndjson';

/** A file that is not what its format says at all: the import fails and appends nothing. */
export class ImportFileError extends Error {}

/** The report a dataset row becomes has an id derived from (dataset, row id): the same row is always the same stream. */
export function evidenceIdFor(dataset: string, externalId: string): string {
  const h = createHash('sha256').update(`claim-ledger/import\n${dataset}\n${externalId}`).digest('hex');
  // Formatted as a UUID (version 8: custom), so every evidence route takes it.
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** One item the file gives: a row (mapped or refused), with the lines it spans. */
type Item =
  | { kind: 'row'; line: number; endLine: number; externalId: string; revision: number; report: EvidenceSubmittedData }
  | { kind: 'deletion'; line: number; endLine: number; externalId: string }
  | { kind: 'error'; line: number; endLine: number; error: RowError };

type KnownRow = Pick<ExternalReportRow, 'evidenceId' | 'revision' | 'retracted'>;

interface Decision {
  actions: Action[];
  counts: ImportCounts;
  errors: RowError[];
  /** The rows this batch changes, as they will stand once its appends are in. */
  planned: Map<string, KnownRow>;
}

type Action =
  | { kind: 'submit'; evidenceId: string; report: EvidenceSubmittedData }
  | { kind: 'revise'; evidenceId: string; report: EvidenceSubmittedData }
  | { kind: 'retract'; evidenceId: string; reason: string };

export interface ImportProcessorOptions {
  /** Rows decided and appended together (one checkpoint per batch). */
  batchRows?: number;
  /** Test hook: a pause after each batch's appends, before its checkpoint (widens crash windows). */
  pauseAfterBatchMs?: number;
  /** Called after each committed batch (live counts, progress). */
  onProgress?: (importId: string) => void;
}

/** done/failed: finished; gone: no such import; taken: another runner moved it on; stopped: this process is shutting down. */
export type ImportOutcome = 'done' | 'failed' | 'gone' | 'taken' | 'stopped';

/**
 * Runs one import: reads the stored file from where the last run stopped, maps rows, decides
 * each against the report index (new → EvidenceSubmitted, higher revision → EvidenceRevised,
 * same → unchanged, lower → stale, deleted → EvidenceRetracted), appends a batch at a time
 * (the event store's group commit writes them together) and moves the checkpoint.
 *
 * Crash safety: a batch's decision (its counts and errors) is written before its appends and
 * counted with the checkpoint after them. A run that finds a decided batch reads the same rows
 * again: what is in the log already is now "the same revision" and appends nothing, the rest is
 * appended, and the batch counts as first decided. Streams are keyed by (dataset, row id) and
 * every append names its expected version, so nothing is ever duplicated.
 */
export class ImportProcessor {
  private readonly batchRows: number;
  private shouldStop: () => boolean = () => false;

  constructor(
    private readonly store: EventStore,
    private readonly reader: LedgerReader,
    private readonly ds: DataSource,
    private readonly imports: ImportStore,
    private readonly options: ImportProcessorOptions = {},
  ) {
    this.batchRows = options.batchRows ?? 2000;
  }

  async run(importId: string, shouldStop: () => boolean = () => false): Promise<ImportOutcome> {
    this.shouldStop = shouldStop;
    let imp = await this.imports.get(importId);
    if (!imp) return 'gone';
    if (imp.state === 'done' || imp.state === 'failed') return imp.state;
    await this.imports.markRunning(importId);
    imp = (await this.imports.get(importId))!;
    try {
      return await this.process(imp);
    } catch (err) {
      if (err instanceof ImportFileError) {
        await this.imports.finish(importId, 'failed', err.message);
        return 'failed';
      }
      throw err;
    }
  }

  private async process(imp: ImportRecord): Promise<ImportOutcome> {
    const resumeAt = imp.doneLine;
    let doneLine = imp.doneLine;
    let pending = imp.pending;
    // One batch is decided and appended while the next is read and mapped (its decision waits
    // for the previous batch's appends: a row may repeat across batches).
    let inflight: Promise<boolean> = Promise.resolve(true);
    let before: Promise<boolean> = inflight;
    let lastPlanned: Promise<Map<string, KnownRow> | null> = Promise.resolve(null);
    const launch = (items: Item[]) => {
      const previous = inflight;
      // Decided now, while the batch before is appended (its rows overlaid on the index).
      const overlay = lastPlanned;
      const decision = overlay.then((o) => this.decide(imp, items, o));
      decision.catch(() => undefined);
      lastPlanned = decision.then((d) => d.planned, () => null);
      before = previous;
      inflight = (async () => {
        if (!(await previous)) return false;
        if (!(await this.runBatch(imp, doneLine, pending, items, decision))) return false;
        doneLine = items[items.length - 1].endLine;
        pending = null;
        this.options.onProgress?.(imp.id);
        return true;
      })();
      inflight.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    };

    let batch: Item[] = [];
    try {
      for await (const item of this.items(imp)) {
        if (item.endLine <= resumeAt) continue; // counted by an earlier run
        batch.push(item);
        if (batch.length >= this.batchRows) {
          // At most two batches in flight: this one deciding, the one before appending.
          if (!(await before)) return 'taken';
          if (this.shouldStop()) return 'stopped';
          launch(batch);
          batch = [];
        }
      }
    } finally {
      await inflight.catch(() => undefined);
    }
    if (!(await inflight)) return 'taken';
    if (batch.length > 0) {
      launch(batch);
      if (!(await inflight)) return 'taken';
    }

    const done = (await this.imports.get(imp.id))!;
    await this.appendCompleted(done);
    await this.imports.finish(imp.id, 'done');
    return 'done';
  }

  /** Decides, records the decision, appends, checkpoints. False when another runner has the import. */
  private async runBatch(imp: ImportRecord, fromLine: number, pending: PendingBatch | null, items: Item[], decision: Promise<Decision>): Promise<boolean> {
    const endLine = items[items.length - 1].endLine;
    const { actions, counts, errors } = await decision;
    let decided: PendingBatch;
    if (pending && pending.endLine === endLine) {
      decided = pending; // a run stopped after deciding this batch: its counts stand
    } else {
      decided = { endLine, counts, errors };
      if (!(await this.imports.setPending(imp.id, fromLine, decided))) return false;
    }
    await this.execute(imp, actions);
    if (this.options.pauseAfterBatchMs) await new Promise((r) => setTimeout(r, this.options.pauseAfterBatchMs));
    return this.imports.commitPending(imp.id, fromLine, decided);
  }

  /**
   * What each row of the batch calls for, against the report index; `overlay`: the rows the
   * batch before decided, whose appends may not be committed yet (they win over the index).
   */
  private async decide(imp: ImportRecord, items: Item[], overlay: Map<string, KnownRow> | null): Promise<Decision> {
    const counts = zeroCounts();
    const errors: RowError[] = [];
    const actions: Action[] = [];
    const ids = items.flatMap((i) => (i.kind === 'error' ? [] : [i.externalId]));
    const known: Map<string, KnownRow> = await externalReports(this.ds, imp.dataset, ids);
    const inBatch = new Set(ids);
    for (const [id, row] of overlay ?? []) if (inBatch.has(id)) known.set(id, row);
    const planned = new Map<string, KnownRow>();
    const reject = (e: RowError) => {
      counts.rejected++;
      if (errors.length < MAX_ERRORS) errors.push(e);
    };
    for (const item of items) {
      counts.rows++;
      if (item.kind === 'error') {
        reject(item.error);
        continue;
      }
      const row = known.get(item.externalId);
      if (item.kind === 'deletion') {
        if (!row || row.retracted) counts.unchanged++; // never imported, or deleted already: nothing to do
        else {
          counts.retracted++;
          actions.push({ kind: 'retract', evidenceId: row.evidenceId, reason: `deleted from ${imp.dataset}` });
          known.set(item.externalId, { ...row, retracted: true });
          planned.set(item.externalId, known.get(item.externalId)!);
        }
        continue;
      }
      if (!row) {
        counts.accepted++;
        const evidenceId = evidenceIdFor(imp.dataset, item.externalId);
        actions.push({ kind: 'submit', evidenceId, report: item.report });
        known.set(item.externalId, { evidenceId, revision: item.revision, retracted: false });
        planned.set(item.externalId, known.get(item.externalId)!);
      } else if (row.retracted) {
        reject({ line: item.line, field: 'event_id_cnty', message: `the report of row ${item.externalId} was retracted (deleted from ${imp.dataset}); a retraction is final` });
      } else if (item.revision === row.revision) {
        counts.unchanged++;
      } else if (item.revision < row.revision) {
        counts.stale++;
      } else {
        counts.revised++;
        actions.push({ kind: 'revise', evidenceId: row.evidenceId, report: item.report });
        known.set(item.externalId, { ...row, revision: item.revision });
        planned.set(item.externalId, known.get(item.externalId)!);
      }
    }
    return { actions, counts, errors, planned };
  }

  /** Appends a batch's actions: all at once (group commit), one after the other per stream. */
  private async execute(imp: ImportRecord, actions: Action[]): Promise<void> {
    const metadata: EventMetadata = { actor: imp.createdBy ? JSON.parse(imp.createdBy) : { kind: 'system', name: 'importer' }, correlationId: importStreamId(imp.id), causationId: null };
    const byStream = new Map<string, Action[]>();
    for (const a of actions) byStream.set(a.evidenceId, [...(byStream.get(a.evidenceId) ?? []), a]);
    await Promise.all(
      [...byStream.values()].map(async (list) => {
        for (const a of list) await this.apply(a, metadata);
      }),
    );
  }

  /** One action, idempotently: what the log holds already is not appended again. */
  private async apply(a: Action, metadata: EventMetadata): Promise<void> {
    const streamId = evidenceStreamId(a.evidenceId);
    if (a.kind === 'submit') {
      try {
        await this.store.append({ streamId, expectedVersion: 0, events: decideEvidence({ type: 'SubmitEvidence', evidence: a.report }, initialEvidenceState), metadata });
        return;
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
        // The stream exists: a run that stopped appended it. Fall through to bring it up to this revision.
      }
    }
    for (let attempt = 0; ; attempt++) {
      const events = await this.reader.readStream(streamId);
      const state = foldEvidence(events);
      let decided: NewEvent[];
      try {
        if (a.kind === 'retract') {
          if (state.retracted) return;
          decided = decideEvidence({ type: 'RetractEvidence', reason: a.reason }, state);
        } else {
          const { claimId: _c, stance: _s, ...revision } = a.report;
          if ((state.evidence?.external?.revision ?? -1) >= (revision.external?.revision ?? 0)) return; // there already
          decided = decideEvidence({ type: 'ReviseEvidence', revision }, state);
        }
      } catch (err) {
        if (err instanceof ConflictError) return; // retracted meanwhile: a retraction is final
        throw err;
      }
      try {
        await this.store.append({ streamId, expectedVersion: events.length, events: decided, metadata });
        return;
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || attempt >= 5) throw err;
      }
    }
  }

  private async appendCompleted(imp: ImportRecord): Promise<void> {
    const metadata: EventMetadata = { actor: imp.createdBy ? JSON.parse(imp.createdBy) : { kind: 'system', name: 'importer' }, correlationId: importStreamId(imp.id), causationId: null };
    try {
      await this.store.append({
        streamId: importStreamId(imp.id),
        expectedVersion: 0,
        events: [{ type: 'ImportCompleted', data: { importId: imp.id, dataset: imp.dataset, format: imp.format, sha256: imp.sha256, counts: imp.counts } }],
        metadata,
      });
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err; // appended by a run that stopped before marking it done
    }
  }

  /** The file's items in order; ImportFileError when it is not the format at all. */
  private items(imp: ImportRecord): AsyncGenerator<Item> {
    return imp.format === 'ndjson' ? this.ndjsonItems(imp) : this.csvItems(imp);
  }

  private async *csvItems(imp: ImportRecord): AsyncGenerator<Item> {
    const required = imp.format === 'acled' ? ACLED_REQUIRED_COLUMNS : (['event_id_cnty', 'deleted_timestamp'] as const);
    let header: string[] | null = null;
    const skipped: RowError[] = [];
    const parser = createReadStream(imp.filePath).pipe(
      parse({
        bom: true,
        columns: (h: string[]) => (header = h.map((c) => String(c).trim())),
        skip_empty_lines: true,
        skip_records_with_error: true,
        info: true,
        max_record_size: 1024 * 1024,
      }),
    );
    parser.on('skip', (err: CsvError & { lines?: number }) => {
      skipped.push({ line: err.lines ?? 0, field: 'row', message: err.message.slice(0, 300) });
    });
    const checkHeader = () => {
      if (!header) throw new ImportFileError(`not a CSV file with a header row: expected ${imp.format} columns`);
      if (header.some((c) => c.includes('\u0000'))) throw new ImportFileError('not a CSV text file (it holds NUL bytes)');
      const missing = required.filter((c) => !header!.includes(c));
      if (missing.length > 0) throw new ImportFileError(`not an ${imp.format} CSV: the header lacks ${missing.join(', ')}`);
    };
    let prevEnd = 1; // the header's line
    function* drainSkips(upTo: number): Generator<Item> {
      while (skipped.length > 0 && skipped[0].line <= upTo) {
        const e = skipped.shift()!;
        prevEnd = Math.max(prevEnd, e.line);
        yield { kind: 'error', line: e.line, endLine: e.line, error: e };
      }
    }
    try {
      for await (const chunk of parser as AsyncIterable<{ record: Record<string, string>; info: Info }>) {
        checkHeader();
        const endLine = chunk.info.lines;
        yield* drainSkips(endLine);
        const line = Math.min(prevEnd + 1, endLine);
        prevEnd = endLine;
        if (imp.format === 'acled') {
          const r = mapAcledRow(chunk.record, line, { dataset: imp.dataset, datasetUrl: imp.datasetUrl, reliability: imp.reliability, credibility: imp.credibility });
          yield r.ok ? { kind: 'row', line, endLine, externalId: r.externalId, revision: r.revision, report: r.report } : { kind: 'error', line, endLine, error: r.error };
        } else {
          const r = mapAcledDeletion(chunk.record, line);
          yield r.ok ? { kind: 'deletion', line, endLine, externalId: r.externalId } : { kind: 'error', line, endLine, error: r.error };
        }
      }
    } catch (err) {
      if (err instanceof ImportFileError) throw err;
      if (!header) throw new ImportFileError(`not a CSV file: ${(err as Error).message.slice(0, 300)}`);
      throw err;
    }
    checkHeader();
    yield* drainSkips(Number.MAX_SAFE_INTEGER);
  }

  private async *ndjsonItems(imp: ImportRecord): AsyncGenerator<Item> {
    const lines = createInterface({ input: createReadStream(imp.filePath, { encoding: 'utf8' }), crlfDelay: Infinity });
    let n = 0;
    let seenObject = false;
    for await (const raw of lines) {
      n++;
      const text = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      const r = await mapNdjsonLine(text, n, { dataset: imp.dataset, reliability: imp.reliability, credibility: imp.credibility });
      if (!seenObject) {
        if (r.ok === false && r.notJson) throw new ImportFileError(`not an NDJSON file: line ${n} is not a JSON object`);
        seenObject = true;
      }
      yield r.ok ? { kind: 'row', line: n, endLine: n, externalId: r.externalId, revision: r.revision, report: r.report } : { kind: 'error', line: n, endLine: n, error: r.error };
    }
    if (!seenObject) throw new ImportFileError('not an NDJSON file: no JSON object in it');
  }
}
