import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { audit, type AuditReport } from './audit';
import { apiKeyArg, progress, runMain, vkeyArg } from './common';
import { LogClient, UsageError } from './http-client';
import { SIG_ED25519, parseVkey } from '../note';

const HELP = `npm run verify-log -- --log <base URL> --vkey <log vkey> [--checkpoint <saved file>] [--key <viewer key>] [--json]

An auditor's check of a claim-ledger log from its public routes alone:
  - the latest checkpoint (GET /api/checkpoint) is signed by --vkey;
  - the feed (GET /api/events) up to its size: every event hash recomputed, the chain linked;
  - the RFC 9162 Merkle root of those events is the signed root;
  - with --checkpoint (a checkpoint saved earlier): it is signed by --vkey, the log's tree at
    its size still has its root, and the log's consistency proof to the latest verifies;
  - every VerificationStatusChanged follows from the attachments before it, by its rule.

Options:
  --log <url>          the service's base URL (e.g. http://localhost:3000)
  --vkey <vkey|file>   the log's verifier key (GET /api/checkpoint/key), or a file holding it
  --checkpoint <file>  a checkpoint saved earlier (e.g. curl .../api/checkpoint > saved.txt)
  --key <key>          a viewer API key when reads need one (or LEDGER_API_KEY)
  --json               one JSON report on stdout instead of the summary
  --help               this text

Exit status: 0 when every check holds, 1 when one fails (the summary says which, and the
size where consistency breaks), 2 for a usage error.`;

function summary(r: AuditReport): string {
  const lines = [`${r.ok ? 'OK' : 'FAILED'}: ${r.log}, checkpoint size ${r.size ?? '?'}, ${r.events} events, ${r.verdicts} verdicts recomputed (${r.eventsPerSecond} events/s)`];
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`);
  if (r.inconsistentAt !== undefined) lines.push(`  consistency breaks at size ${r.inconsistentAt}`);
  return lines.join('\n') + '\n';
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        log: { type: 'string' },
        vkey: { type: 'string' },
        checkpoint: { type: 'string' },
        key: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values;
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (!values.log) throw new UsageError('--log <base URL> is required (--help for more)');
  const vkey = vkeyArg(values.vkey);
  if (!vkey) throw new UsageError('--vkey <log vkey> is required: GET /api/checkpoint/key, checked out of band (--help for more)');
  try {
    if (parseVkey(vkey).type !== SIG_ED25519) throw new Error('it is not a log key (type 0x01)');
  } catch (err) {
    throw new UsageError(`--vkey: ${(err as Error).message}`);
  }
  let saved: string | null = null;
  if (values.checkpoint) {
    try {
      saved = readFileSync(values.checkpoint, 'utf8');
    } catch (err) {
      throw new UsageError(`--checkpoint: cannot read ${values.checkpoint}: ${(err as Error).message}`);
    }
  }
  const client = new LogClient(values.log, apiKeyArg(values.key));
  const bar = progress('verify-log', !values.json);
  let report: AuditReport;
  try {
    report = await audit({ client, vkey, saved, onProgress: (done, total) => bar.update(done, total) });
  } finally {
    bar.stop();
  }
  process.stdout.write(values.json ? JSON.stringify(report) + '\n' : summary(report));
  return report.ok ? 0 : 1;
}

runMain(main);
