import type { SqlExecutor } from '../ledger/sql-executor';

/**
 * What the read models' batches share: turning a page of events into a few multi-row writes
 * with the same end state as `apply` on each event in order.
 *
 * Why merging is exact is argued per table, next to each batch. What holds for all of them:
 * none of the read-model tables has triggers or foreign keys, so tables are independent of each
 * other (and projectors own disjoint tables). Dropping or merging a write is only harmless if
 * that write could not have failed on its own, so every value of a merged or dropped write must
 * be a string or a safe integer (NOT NULL columns, no odd bindings); anything else throws
 * NotBatchableError and the caller replays the events one by one instead.
 */

/** Thrown by a read model's batch when merging would not provably give what `apply` one by one gives. */
export class NotBatchableError extends Error {}

export const isText = (v: unknown): v is string => typeof v === 'string';
export const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Rows per multi-row statement: at most 13 parameters each, well under SQLite's 32766. */
const ROWS_PER_STATEMENT = 500;

export interface WriteMode {
  insert: string;
  update: string;
  /** The rebuild's mode: literals in the SQL, and the tables' statements sent together. */
  literals: boolean;
}

/**
 * `unjournaled` (the rebuild's fast pass): OR FAIL statements, which need no statement journal
 * (a failing one keeps the rows it wrote before), with integers and NULLs as SQL literals
 * (statements never repeat, so no use keeping them prepared).
 */
export function writeMode(opts: { unjournaled?: boolean } = {}): WriteMode {
  return opts.unjournaled
    ? { insert: 'INSERT OR FAIL INTO', update: 'UPDATE OR FAIL', literals: true }
    : { insert: 'INSERT INTO', update: 'UPDATE', literals: false };
}

/**
 * A batch's statements, table by table (each function writes one table, in order). The tables
 * are independent (see above): in the unjournaled mode their statements are sent at once, each
 * table's in order, so the connection always has the next one queued; otherwise one after the other.
 */
export async function writeTables(mode: WriteMode, tables: ReadonlyArray<() => Promise<void>>): Promise<void> {
  if (!mode.literals) {
    for (const table of tables) await table();
    return;
  }
  await settleAll(tables.map((table) => table()));
}

/** Waits for every promise to settle (a failure must not leave some still running), then throws the first failure. */
export async function settleAll(promises: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export async function insertMany(tx: SqlExecutor, mode: WriteMode, into: string, rows: unknown[][], tail = ''): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const { values, params } = chunkOf(rows, i, mode.literals);
    await tx.run(`${mode.insert} ${into} VALUES ${values}${tail}`, params);
  }
}

/** `set` is `UPDATE … SET col = v.columnN, …`; `where` joins the table's key to the VALUES rows (SQLite: UPDATE … FROM VALUES). */
export async function updateMany(tx: SqlExecutor, mode: WriteMode, set: string, where: string, rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const { values, params } = chunkOf(rows, i, mode.literals);
    await tx.run(`${set} FROM (VALUES ${values}) AS v WHERE ${where}`, params);
  }
}

/**
 * Short text of printable ASCII but the single quote (ids, timestamps, kinds): written into the
 * SQL as '…', it is the very TEXT that binding it stores (same bytes, no escapes needed), and
 * sqlite3 spends far more per bound string (two copies and their allocations on the main thread,
 * freed there again) than SQLite parsing a few dozen bytes. Longer or other text stays bound.
 */
const INLINE_TEXT_CHARS = 64;
const PLAIN_TEXT = /^[ -&(-~]*$/;

/**
 * Rows from `start` (at most ROWS_PER_STATEMENT, all as wide as the first): their `(…), …` and
 * the values to bind. With `literals` (for statements that never repeat), NULLs, 32-bit
 * integers and short plain text are written into the SQL instead: SQLite stores exactly what it
 * would for the bound value (sqlite3 binds a number as an integer only in that range, any other as a REAL: those stay
 * bound), and sqlite3 spends far more per bound number or NULL (allocations, type probes) than
 * SQLite does parsing a few digits.
 */
function chunkOf(rows: unknown[][], start: number, literals: boolean): { values: string; params: unknown[] } {
  const end = Math.min(rows.length, start + ROWS_PER_STATEMENT);
  const width = rows[start].length;
  const params: unknown[] = [];
  let values = '';
  for (let r = start; r < end; r++) {
    const row = rows[r];
    values += r === start ? '(' : ', (';
    for (let c = 0; c < width; c++) {
      const v = row[c];
      if (c > 0) values += ', ';
      if (literals && v === null) values += 'NULL';
      else if (literals && typeof v === 'number' && (v | 0) === v) values += String(v);
      else if (literals && typeof v === 'string' && v.length <= INLINE_TEXT_CHARS && PLAIN_TEXT.test(v)) values += `'${v}'`;
      else {
        values += '?';
        params.push(v);
      }
    }
    values += ')';
  }
  return { values, params };
}
