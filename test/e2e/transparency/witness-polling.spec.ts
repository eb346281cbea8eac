import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCheckpoint, verifyNote } from '../../../src/transparency/note';
import { crimeaClaimBody } from '../../support/app';
import { assertFreshBuild } from '../../support/build';
import { eventually } from '../../support/http';
import { ServiceProcess } from '../../reliability/support/service';
import { api, runTool } from './support';

/**
 * `npm run witness` without --once (issue 12): the witness as a long-running child process
 * polling a running service. The log grows over several rounds; each new checkpoint gets the
 * witness's cosignature on GET /api/checkpoint; SIGTERM stops it cleanly (exit 0) with its
 * state folder intact (the last checkpoint it cosigned, verifiable with the log's key).
 */

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..', '..');
const WITNESS = 'witness.example/poller';

/** The witness and the checkpoints move at the service's pace: a longer wait than eventually's default. */
const SLOW_MS = 40_000;

/** The witness in polling mode, its stdout as JSON lines. */
class PollingWitness {
  readonly lines: Array<{ kind: string; size?: number; signal?: string; reason?: string }> = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly proc: ChildProcess;

  constructor(args: string[]) {
    assertFreshBuild('transparency/cli/witness.js');
    this.proc = spawn(process.execPath, [join(ROOT, 'dist', 'transparency', 'cli', 'witness.js'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.proc.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.lines.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    });
    this.proc.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
  }

  cosigned(): number[] {
    return this.lines.filter((l) => l.kind === 'cosigned').map((l) => l.size!);
  }

  signal(sig: NodeJS.Signals): void {
    this.proc.kill(sig);
  }
}

describe('npm run witness in polling mode (no --once)', () => {
  let dir: string;
  let service: ServiceProcess;
  let witness: PollingWitness | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'claim-ledger-witness-poll-'));
    service = await ServiceProcess.start({ dbPath: join(dir, 'ledger.sqlite'), env: { CHECKPOINT_INTERVAL_MS: '50' } });
  });
  afterAll(async () => {
    witness?.signal('SIGKILL');
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cosigns each new checkpoint of a growing log round after round, and stops cleanly on SIGTERM', async () => {
    const vkey = (await api(service, '/api/checkpoint/key')).text.trim();
    const state = join(dir, 'witness');
    const printed = await runTool('witness', ['--state', state, '--name', WITNESS, '--print-vkey']);
    expect(printed.code).toBe(0);
    expect((await api(service, '/api/witnesses', { method: 'POST', body: { name: WITNESS, vkey: printed.stdout.trim() } })).status).toBe(201);

    witness = new PollingWitness(['--log', service.base, '--state', state, '--vkey', vkey, '--interval', '200', '--json', '--key', service.adminKey!]);
    const w = witness;
    let previous = 0;
    for (let round = 1; round <= 3; round++) {
      // The log grows; the service signs a checkpoint of the new head.
      for (let i = 0; i < round * 2; i++) {
        expect((await api(service, '/api/claims', { method: 'POST', body: crimeaClaimBody({ statement: `round ${round} claim ${i}` }) })).status).toBe(201);
      }
      const h = (await api(service, '/api/ledger/verify')).json.head.position as number;
      expect(h).toBeGreaterThan(previous);
      // The running witness sees it on one of its own rounds, cosigns it, and the cosignature is served.
      const size = await eventually(`the witness to cosign size ≥ ${h}`, () => Math.max(0, ...w.cosigned()), (n) => n >= h, SLOW_MS);
      const shown = await eventually(`the cosignature on GET /api/checkpoint?size=${size}`, () => api(service, `/api/checkpoint?size=${size}`), (r) => r.text.includes(`— ${WITNESS} `), SLOW_MS);
      expect(shown.status).toBe(200);
      expect(shown.text).toMatch(new RegExp(`\\n— ${WITNESS.replace(/\./g, '\\.')} [A-Za-z0-9+/=]+\\n`));
      previous = size;
    }
    const latest = await api(service, '/api/checkpoint');
    expect(latest.text).toContain(`— ${WITNESS} `);
    // Several distinct checkpoints were cosigned by the one process, none refused.
    expect(new Set(w.cosigned()).size).toBeGreaterThanOrEqual(3);
    expect(w.lines.filter((l) => l.kind === 'refused' || l.kind === 'error')).toEqual([]);

    w.signal('SIGTERM');
    const exit = await eventually('the witness to exit', () => Promise.race([w.exited, new Promise<null>((r) => setTimeout(() => r(null), 100))]), (e) => e !== null, 20_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(w.lines[w.lines.length - 1]).toMatchObject({ kind: 'stopped', signal: 'SIGTERM' });
    expect(w.stderr).toBe('');
    witness = null;

    // The state folder is intact: the last checkpoint it cosigned, signed by the log.
    const stored = parseCheckpoint(verifyNote(readFileSync(join(state, 'checkpoint'), 'utf8'), vkey).body);
    expect(stored.size).toBe(Math.max(...w.cosigned()));
    // And a later round (a new process) continues from it.
    const again = await runTool('witness', ['--log', service.base, '--state', state, '--vkey', vkey, '--once', '--key', service.adminKey!]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/unchanged at size \d+|cosigned size \d+ \(consistent with \d+\)/);
  });
});
