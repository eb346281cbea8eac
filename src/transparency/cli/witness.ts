import { parseArgs } from 'node:util';
import { apiKeyArg, runMain, vkeyArg } from './common';
import { LogClient, UsageError } from './http-client';
import { openWitnessState, witnessRound, type RoundOutcome } from './witness-round';

const HELP = `npm run witness -- --log <base URL> --state <dir> [--vkey <log vkey>] [--once] [--name <witness name>]

A witness for a claim-ledger log. Each round it fetches GET /api/checkpoint, checks the log's
signature (the pinned --vkey, or the key it trusted on first use, kept in --state), checks
consistency from the checkpoint it stored last (GET /api/proofs/consistency), stores the new
one, cosigns it (C2SP tlog-cosignature v1) and posts the cosignature
(POST /api/checkpoint/cosignatures). An unsigned, older, forked or inconsistent checkpoint is
refused: it exits non-zero and writes both checkpoints and the failed proof to --state.

Options:
  --log <url>          the service's base URL
  --state <dir>        the witness's folder: its key (made on first use), the log's key, the last checkpoint, evidence
  --vkey <vkey|file>   pin the log's key (else trust on first use)
  --name <name>        the witness key name on first use (default witness.local/claim-ledger-witness)
  --once               one round, then exit (default: poll every --interval ms until SIGTERM/SIGINT, then exit 0)
  --interval <ms>      polling interval (default 10000)
  --key <key>          a viewer API key when reads need one (or LEDGER_API_KEY)
  --print-vkey         print this witness's vkey (to register it: POST /api/witnesses) and exit
  --json               one JSON line per round
  --help               this text

Exit status: 0 after --once succeeded, 1 on a refusal or failure, 2 for a usage error.`;

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      options: {
        log: { type: 'string' },
        state: { type: 'string' },
        vkey: { type: 'string' },
        name: { type: 'string' },
        once: { type: 'boolean', default: false },
        interval: { type: 'string', default: '10000' },
        key: { type: 'string' },
        'print-vkey': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (!values.state) throw new UsageError('--state <dir> is required (--help for more)');
  const state = openWitnessState(values.state, values.name ?? null);
  if (values['print-vkey']) {
    process.stdout.write(state.vkey + '\n');
    return 0;
  }
  if (!values.log) throw new UsageError('--log <base URL> is required (--help for more)');
  const interval = Number(values.interval);
  if (!/^\d+$/.test(values.interval!) || interval < 100) throw new UsageError('--interval must be a whole number of milliseconds ≥ 100');
  const pinned = vkeyArg(values.vkey);
  const client = new LogClient(values.log, apiKeyArg(values.key));
  const say = (o: RoundOutcome | { kind: 'error'; reason: string }) => {
    if (values.json) {
      process.stdout.write(JSON.stringify({ at: new Date().toISOString(), witness: state.name, ...o }) + '\n');
      return;
    }
    switch (o.kind) {
      case 'cosigned':
        process.stdout.write(`cosigned size ${o.size}${o.previous !== null ? ` (consistent with ${o.previous})` : ' (first checkpoint seen)'}, root ${o.rootHash}\n`);
        break;
      case 'unchanged':
        process.stdout.write(`unchanged at size ${o.size}\n`);
        break;
      case 'refused':
        process.stderr.write(`REFUSED: ${o.reason}\n  evidence kept in ${o.evidence}\n`);
        break;
      default:
        process.stderr.write(`failed: ${o.reason}\n`);
    }
  };
  if (!values.json) process.stdout.write(`witness ${state.vkey} following ${client.base}\n`);
  // Polling: SIGTERM or SIGINT stops it between rounds (a round in progress finishes, so the
  // state folder is never left half-written), exit 0.
  const stop = stopSignal(values.once);
  for (;;) {
    let outcome: RoundOutcome | { kind: 'error'; reason: string };
    try {
      outcome = await witnessRound(state, client, pinned);
    } catch (err) {
      outcome = { kind: 'error', reason: (err as Error).message };
    }
    say(outcome);
    if (outcome.kind === 'refused') return 1;
    if (values.once) return outcome.kind === 'cosigned' || outcome.kind === 'unchanged' ? 0 : 1;
    if (await stop.sleep(interval)) {
      if (!values.json) process.stdout.write(`stopped (${stop.signal})\n`);
      else process.stdout.write(JSON.stringify({ at: new Date().toISOString(), witness: state.name, kind: 'stopped', signal: stop.signal }) + '\n');
      return 0;
    }
  }
}

/** In polling mode: the first SIGTERM/SIGINT is remembered and wakes the sleep between rounds. */
function stopSignal(once: boolean): { signal: string | null; sleep(ms: number): Promise<boolean> } {
  const self = {
    signal: null as string | null,
    wake: null as (() => void) | null,
    sleep(ms: number): Promise<boolean> {
      if (self.signal) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(self.signal !== null), ms);
        self.wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
    },
  };
  if (!once) {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.on(sig, () => {
        self.signal ??= sig;
        self.wake?.();
      });
    }
  }
  return self;
}

runMain(main);
