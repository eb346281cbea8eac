import { existsSync, readFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { UsageError } from './http-client';

/** A vkey given on the command line, or the path of a file holding one. */
export function vkeyArg(value: string | undefined, flag = '--vkey'): string | null {
  if (value === undefined) return null;
  if (/^[^+\s]+\+[0-9a-f]{8}\+/.test(value.trim())) return value.trim();
  if (existsSync(value)) return readFileSync(value, 'utf8').trim();
  throw new UsageError(`${flag} must be a vkey (<name>+<key ID>+<key>) or a file holding one, got "${value}"`);
}

export function apiKeyArg(value: string | undefined): string | null {
  return value ?? process.env.LEDGER_API_KEY ?? null;
}

/** A progress bar on a terminal (stderr), nothing otherwise. */
export function progress(label: string, enabled: boolean): { update(done: number, total: number): void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} events | {eta_formatted} left`, stream: process.stderr, hideCursor: true }, undefined);
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Runs a CLI's main: usage errors exit 2, other failures 1, each with one clear line on stderr. */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof UsageError ? 'usage: ' : 'error: '}${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
