import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { seen } from './client';

/**
 * The suite's summary table, across spec files.
 *
 * Jest runs spec files in any order, in band (`npm run test:reliability`) or in worker processes
 * (the full `jest` run), so no spec knows it is the last. Each spec file's afterAll appends one
 * JSON line to a file under os.tmpdir() named after the Jest run (the Jest parent's pid: our own
 * pid in band, the parent's in a worker), then reads the file back: the spec that finds a line
 * from every `*.spec.ts` in test/reliability prints the table (an O_EXCL flag file makes sure
 * only one prints it) and removes both files. The others print a one-line note.
 */

export interface SpecCounts {
  /** Writes the service answered with a 2xx during the attack. */
  writesAcknowledged: number;
  /** Of those, found again afterwards (by id and in /api/events). */
  foundAfterRecovery: number;
  /** Events or attachments found more than once. */
  duplicates: number;
  /** Jobs the queue delivered more than once (stalled and picked up again, re-added, retried). */
  jobsRedelivered: number;
  fuzzCases: number;
  /** Extra detail for the table's last column. */
  note: string;
}

interface Line extends SpecCounts {
  spec: string;
  at: number;
  requests: number;
  serverErrors: number;
}

const SPEC_DIR = join(__dirname, '..');
const jestPid = typeof process.send === 'function' ? process.ppid : process.pid;
/** The Jest process's start time (Linux: /proc/<pid>/stat field 22), so a reused pid is another run. */
function startTicks(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '0';
  } catch {
    return '0';
  }
}
const FILE = join(tmpdir(), `claim-ledger-reliability-${jestPid}-${startTicks(jestPid)}.jsonl`);
const FLAG = `${FILE}.printed`;
/** Lines older than this belong to an earlier run that happened to have the same pid. */
const STALE_MS = 60 * 60 * 1000;

const counts: SpecCounts = { writesAcknowledged: 0, foundAfterRecovery: 0, duplicates: 0, jobsRedelivered: 0, fuzzCases: 0, note: '' };

/** Adds to this spec file's counts (afterAll writes them out). */
export function count(delta: Partial<Omit<SpecCounts, 'note'>>): void {
  for (const [k, v] of Object.entries(delta) as Array<[keyof Omit<SpecCounts, 'note'>, number]>) counts[k] += v;
}

export function note(text: string): void {
  counts.note = counts.note ? `${counts.note}; ${text}` : text;
}

function specFiles(): string[] {
  return readdirSync(SPEC_DIR)
    .filter((f) => f.endsWith('.spec.ts'))
    .map((f) => basename(f, '.spec.ts'))
    .sort();
}

function readLines(): Line[] {
  if (!existsSync(FILE)) return [];
  const latest = new Map<string, Line>();
  for (const raw of readFileSync(FILE, 'utf8').split('\n')) {
    if (!raw.trim()) continue;
    try {
      const line = JSON.parse(raw) as Line;
      if (Date.now() - line.at < STALE_MS) latest.set(line.spec, line);
    } catch {
      /* a torn line: ignore */
    }
  }
  return [...latest.values()];
}

export function renderTable(lines: Line[]): string {
  const cols: Array<[string, (l: Line) => string | number]> = [
    ['spec', (l) => l.spec],
    ['writes acknowledged', (l) => l.writesAcknowledged],
    ['found after recovery', (l) => l.foundAfterRecovery],
    ['duplicates', (l) => l.duplicates],
    ['jobs redelivered', (l) => l.jobsRedelivered],
    ['fuzz cases tried', (l) => l.fuzzCases],
    ['requests', (l) => l.requests],
    ['5xx seen', (l) => l.serverErrors],
  ];
  const sum = (f: (l: Line) => number) => lines.reduce((a, l) => a + f(l), 0);
  const total: Line = {
    spec: 'TOTAL',
    at: 0,
    writesAcknowledged: sum((l) => l.writesAcknowledged),
    foundAfterRecovery: sum((l) => l.foundAfterRecovery),
    duplicates: sum((l) => l.duplicates),
    jobsRedelivered: sum((l) => l.jobsRedelivered),
    fuzzCases: sum((l) => l.fuzzCases),
    requests: sum((l) => l.requests),
    serverErrors: sum((l) => l.serverErrors),
    note: '',
  };
  const rows = [...lines.sort((a, b) => a.spec.localeCompare(b.spec)), total];
  const widths = cols.map(([h, f]) => Math.max(h.length, ...rows.map((r) => String(f(r)).length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const out = [
    fmt(cols.map(([h]) => h)),
    `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map((r) => fmt(cols.map(([, f]) => String(f(r))))),
  ];
  const notes = lines.filter((l) => l.note).map((l) => `  ${l.spec}: ${l.note}`);
  return ['claim-ledger reliability summary', '', ...out, ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n');
}

/** Call once from the spec file's afterAll (last thing it does). */
export function writeSummary(specFile: string): void {
  const line: Line = { spec: basename(specFile, '.spec.ts'), at: Date.now(), requests: seen.requests, serverErrors: seen.serverErrors.length, ...counts };
  appendFileSync(FILE, `${JSON.stringify(line)}\n`);
  const lines = readLines();
  const expected = specFiles();
  const have = new Set(lines.map((l) => l.spec));
  if (!expected.every((s) => have.has(s))) {
    const missing = expected.filter((s) => !have.has(s));
    // eslint-disable-next-line no-console
    console.log(
      `reliability summary: ${line.spec} reported (${line.writesAcknowledged} writes acknowledged, ${line.foundAfterRecovery} found, ` +
        `${line.duplicates} duplicates, ${line.serverErrors} 5xx); waiting for ${missing.join(', ')} to print the table`,
    );
    return;
  }
  let fd: number;
  try {
    fd = openSync(FLAG, 'wx');
  } catch {
    return; // another worker is printing it
  }
  closeSync(fd);
  // eslint-disable-next-line no-console
  console.log(renderTable(lines.filter((l) => expected.includes(l.spec))));
  rmSync(FILE, { force: true });
  rmSync(FLAG, { force: true });
}
