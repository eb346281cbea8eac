import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCheckpoint, verifyNote } from '../../../src/transparency/note';
import { verifyConsistency } from '../../../src/transparency/merkle';
import { crimeaClaimBody, evidenceBody } from '../../support/app';
import { TEST_PG_URL, dropSchema, uniqueSchema } from '../../support/postgres';
import { eventually } from '../../support/http';
import { ServiceProcess } from '../../reliability/support/service';
import { api, openPgRaw, openSqliteRaw, rewriteHistory, runTool, type RawDb } from './support';

/**
 * Real processes, real files: the service (dist/main.js), the witness and verify-log
 * (dist/transparency/cli). A witness cosigns a growing log; then someone holding the database
 * rewrites history so well that GET /api/ledger/verify says ok, and the checkpoints others kept
 * catch it: verify-log names the size where consistency breaks, the witness refuses and keeps
 * the evidence. On SQLite and on PostgreSQL. Then two API processes on one PostgreSQL sign one
 * consistent sequence.
 */

jest.setTimeout(120_000);

const SEED = Buffer.alloc(32, 42).toString('base64');

/** The witness and the checkpoints move at the service's pace: a longer wait than eventually's default. */
const SLOW_MS = 40_000;

const head = async (s: ServiceProcess) => (await api(s, '/api/ledger/verify')).json.head.position as number;
const checkpointSize = async (s: ServiceProcess) => {
  const res = await api(s, '/api/checkpoint');
  return res.status === 200 ? parseCheckpoint(res.text.slice(0, res.text.indexOf('\n\n') + 1)).size : 0;
};
/** Appends a claim (and evidence that gives it a verdict), then waits until a checkpoint covers the head. */
async function grow(s: ServiceProcess, label: string): Promise<number> {
  const claim = await api(s, '/api/claims', { method: 'POST', body: crimeaClaimBody({ statement: `claim ${label}` }) });
  expect(claim.status).toBe(201);
  expect((await api(s, `/api/claims/${claim.json.id}/evidence`, { method: 'POST', body: evidenceBody({ summary: `evidence ${label}` }) })).status).toBe(202);
  await eventually('the verdict', async () => (await api(s, `/api/claims/${claim.json.id}`)).json.status, (st) => st !== 'unverified', SLOW_MS);
  const h = await head(s);
  await eventually('a checkpoint of the head', () => checkpointSize(s), (n) => n >= h, SLOW_MS);
  return h;
}

interface Setup {
  label: string;
  env(dir: string): Record<string, string>;
  open(dir: string): Promise<RawDb>;
  cleanup(): Promise<void>;
}

const sqlite: Setup = {
  label: 'SQLite',
  env: () => ({}),
  open: (dir) => openSqliteRaw(join(dir, 'ledger.sqlite')),
  cleanup: async () => undefined,
};

function postgres(): Setup {
  const schema = uniqueSchema('attack');
  return {
    label: 'PostgreSQL',
    env: () => ({ DATABASE_URL: TEST_PG_URL, DATABASE_SCHEMA: schema }),
    open: () => openPgRaw(TEST_PG_URL, schema),
    cleanup: () => dropSchema(schema),
  };
}

describe.each([['SQLite', () => sqlite], ['PostgreSQL', postgres]] as const)('witnesses and the rewrite attack (%s)', (_label, make) => {
  let dir: string;
  let setup: Setup;
  let service: ServiceProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'claim-ledger-attack-'));
    setup = make();
    service = await ServiceProcess.start({ dbPath: join(dir, 'ledger.sqlite'), env: { CHECKPOINT_INTERVAL_MS: '50', ...setup.env(dir) } });
  });
  afterAll(async () => {
    await service?.stop();
    await setup.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a witness cosigns a growing log round after round; verify-log passes; then the rewrite is caught', async () => {
    const vkey = (await api(service, '/api/checkpoint/key')).text.trim();
    const state = join(dir, 'witness');
    const key = ['--key', service.adminKey!];
    const printed = await runTool('witness', ['--state', state, '--name', 'witness.example/w1', '--print-vkey']);
    expect(printed.code).toBe(0);
    expect((await api(service, '/api/witnesses', { method: 'POST', body: { name: 'witness.example/w1', vkey: printed.stdout.trim() } })).status).toBe(201);

    // Rounds: the log grows, the witness checks consistency from its last checkpoint and cosigns.
    let last = 0;
    for (let round = 1; round <= 3; round++) {
      const size = await grow(service, `round ${round}`);
      const run = await runTool('witness', ['--log', service.base, '--state', state, '--vkey', vkey, '--once', ...key]);
      expect(run).toMatchObject({ code: 0 });
      expect(run.stdout).toMatch(round === 1 ? /cosigned size \d+ \(first checkpoint seen\)/ : new RegExp(`cosigned size \\d+ \\(consistent with ${last}\\)`));
      last = parseCheckpoint(readFileSync(join(state, 'checkpoint'), 'utf8').split('\n\n')[0] + '\n').size;
      expect(last).toBeGreaterThanOrEqual(size);
      const shown = await api(service, `/api/checkpoint?size=${last}`);
      expect(shown.text).toMatch(/\n— witness\.example\/w1 [A-Za-z0-9+/=]+\n$/);
    }
    const latest = await api(service, '/api/checkpoint');
    expect(latest.text).toContain('— witness.example/w1 ');

    // An auditor saves the checkpoint; verify-log passes against it.
    const savedPath = join(dir, 'saved-checkpoint.txt');
    writeFileSync(savedPath, latest.text);
    const savedSize = parseCheckpoint(verifyNote(latest.text, vkey).body).size;
    const good = await runTool('verify-log', ['--log', service.base, '--vkey', vkey, '--checkpoint', savedPath, '--json', ...key]);
    expect(good.code).toBe(0);
    const report = JSON.parse(good.stdout);
    expect(report).toMatchObject({ ok: true, size: savedSize, events: savedSize });
    expect(report.verdicts).toBeGreaterThanOrEqual(3);

    // The attack: stopped service, an old event edited, every later hash and the tree recomputed.
    await service.stop();
    const db = await setup.open(dir);
    try {
      await rewriteHistory(db, 1, (data) => ({ ...data, statement: "We will invade Crimea" }));
    } finally {
      await db.close();
    }
    service = await service.restart();
    expect((await api(service, '/api/ledger/verify')).json).toMatchObject({ ok: true }); // the chain and the tree agree
    const size = await grow(service, 'after the rewrite');
    expect(size).toBeGreaterThan(savedSize);

    const caught = await runTool('verify-log', ['--log', service.base, '--vkey', vkey, '--checkpoint', savedPath, ...key]);
    // The closing note of issue 12 quotes this output.
    process.stdout.write(`\n[${setup.label}] verify-log after the rewrite (exit ${caught.code}):\n${caught.stdout}${caught.stderr}`);
    expect(caught.code).toBe(1);
    expect(caught.stdout).toMatch(/^FAILED/);
    expect(caught.stdout).toContain(`consistency breaks at size ${savedSize}`);
    expect(caught.stdout).toMatch(new RegExp(`FAIL  consistency with the saved checkpoint: inconsistent at size ${savedSize}`));

    const refused = await runTool('witness', ['--log', service.base, '--state', state, '--vkey', vkey, '--once', ...key]);
    process.stdout.write(`[${setup.label}] witness after the rewrite (exit ${refused.code}):\n${refused.stdout}${refused.stderr}\n`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`REFUSED: the checkpoint of size ${size} is not consistent with the one of size ${savedSize}`));
    const evidence = readdirSync(state).filter((f) => f.startsWith('evidence-'));
    expect(evidence).toHaveLength(1);
    const kept = join(state, evidence[0]);
    for (const f of ['old-checkpoint', 'new-checkpoint', 'proof.json', 'reason.txt']) expect(existsSync(join(kept, f))).toBe(true);
    const proof = JSON.parse(readFileSync(join(kept, 'proof.json'), 'utf8'));
    const old = parseCheckpoint(verifyNote(readFileSync(join(kept, 'old-checkpoint'), 'utf8'), vkey).body);
    const now = parseCheckpoint(verifyNote(readFileSync(join(kept, 'new-checkpoint'), 'utf8'), vkey).body);
    // Both checkpoints are signed by the log, and no proof links them: the evidence stands on its own.
    expect(verifyConsistency(old.size, now.size, old.rootHash, now.rootHash, proof.proof.map((h: string) => Buffer.from(h, 'hex')))).toBe(false);
    // The witness did not move on: its stored checkpoint is still the one before the rewrite.
    expect(parseCheckpoint(verifyNote(readFileSync(join(state, 'checkpoint'), 'utf8'), vkey).body).size).toBe(old.size);
  });
});

describe('two API processes on one PostgreSQL', () => {
  const schema = uniqueSchema('twoapi');
  const dir = mkdtempSync(join(tmpdir(), 'claim-ledger-two-'));
  let a: ServiceProcess;
  let b: ServiceProcess;
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sign one sequence: sizes strictly growing, one root per size, each consistent with the next', async () => {
    const env = { DATABASE_URL: TEST_PG_URL, DATABASE_SCHEMA: schema, LEDGER_SIGNING_KEY: SEED, CHECKPOINT_INTERVAL_MS: '20' };
    a = await ServiceProcess.start({ dbPath: join(dir, 'a', 'ledger.sqlite'), env });
    b = await ServiceProcess.start({ dbPath: join(dir, 'b', 'ledger.sqlite'), env });
    const vkey = (await api(a, '/api/checkpoint/key')).text.trim();
    expect((await api(b, '/api/checkpoint/key')).text.trim()).toBe(vkey);
    // Three rounds of concurrent writes to both, each waited on until a checkpoint covers it, so the
    // sequence has several checkpoints however fast the appends land.
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api(i % 2 ? a : b, '/api/claims', { method: 'POST', body: crimeaClaimBody({ statement: `concurrent ${round}.${i}` }) }),
        ),
      );
      const h = await head(a);
      await eventually(`a checkpoint of the head after round ${round + 1}`, () => checkpointSize(round % 2 ? a : b), (n) => n >= h, SLOW_MS);
    }

    const db = await openPgRaw(TEST_PG_URL, schema);
    let rows: Array<{ size: number | string; root_hash: string; note: string }>;
    try {
      rows = await db.all('SELECT size, root_hash, note FROM signed_checkpoints ORDER BY signed_at, size');
    } finally {
      await db.close();
    }
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const sizes = rows.map((r) => Number(r.size));
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeGreaterThan(sizes[i - 1]); // in signing order, strictly growing
    for (let i = 0; i < rows.length; i++) {
      const cp = parseCheckpoint(verifyNote(rows[i].note, vkey).body);
      expect(cp.rootHash.toString('hex')).toBe(rows[i].root_hash);
      if (i === 0) continue;
      const prev = parseCheckpoint(verifyNote(rows[i - 1].note, vkey).body);
      const p = await api(i % 2 ? a : b, `/api/proofs/consistency?from=${prev.size}&to=${cp.size}`);
      expect(verifyConsistency(prev.size, cp.size, prev.rootHash, cp.rootHash, p.json.proof.map((x: string) => Buffer.from(x, 'hex')))).toBe(true);
    }
  });
});

describe('the tools from the command line', () => {
  it('--help exits 0; a usage error exits 2 naming the option; an unreachable log or a wrong key exits 1', async () => {
    for (const tool of ['witness', 'verify-log'] as const) {
      const help = await runTool(tool, ['--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`npm run ${tool} -- --log <base URL>`);
      const bad = await runTool(tool, ['--bogus']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^usage: Unknown option '--bogus'/);
    }
    expect(await runTool('verify-log', ['--log', 'http://127.0.0.1:1'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--vkey <log vkey> is required/) });
    const vkey = 'factcheck.example/claim-ledger+2817ded3+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4';
    expect(await runTool('verify-log', ['--log', 'http://127.0.0.1:1', '--vkey', vkey.replace('+2817ded3+', '+00000000+')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--vkey: the vkey key ID does not match/) });
    const down = await runTool('verify-log', ['--log', 'http://127.0.0.1:1', '--vkey', vkey, '--json']);
    expect(down.code).toBe(1);
    expect(JSON.parse(down.stdout)).toMatchObject({ ok: false, checks: [{ name: 'checkpoint signature', ok: false }] });
  });
});
