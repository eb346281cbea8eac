import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyConsistency } from '../merkle';
import { SIG_COSIGNATURE_V1, cosign, formatVkey, parseCheckpoint, parseVkey, rawPublicKey, verifyNote, type Checkpoint } from '../note';
import type { LogClient } from './http-client';

/**
 * A witness's state folder:
 *   witness-key.pem   its Ed25519 key (0600, made on first use)
 *   witness.json      {name}
 *   log.vkey          the log's vkey (pinned with --vkey, or trusted on first use)
 *   checkpoint        the last checkpoint it verified and cosigned
 *   evidence-<time>/  what it refused: both checkpoints, the proof, the reason
 */
export interface WitnessState {
  dir: string;
  name: string;
  key: KeyObject;
  vkey: string;
}

export function openWitnessState(dir: string, name: string | null): WitnessState {
  mkdirSync(dir, { recursive: true });
  const keyPath = join(dir, 'witness-key.pem');
  if (!existsSync(keyPath)) {
    writeFileSync(keyPath, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { flag: 'wx', mode: 0o600 });
  }
  if (statSync(keyPath).mode & 0o077) throw new Error(`${keyPath} is readable by others: chmod 600 it`);
  const key = createPrivateKey(readFileSync(keyPath, 'utf8'));
  const metaPath = join(dir, 'witness.json');
  const stored = existsSync(metaPath) ? (JSON.parse(readFileSync(metaPath, 'utf8')) as { name: string }).name : null;
  if (stored && name && stored !== name) throw new Error(`the state in ${dir} is witness ${stored}, not ${name}`);
  const finalName = stored ?? name ?? 'witness.local/claim-ledger-witness';
  if (!stored) writeFileSync(metaPath, JSON.stringify({ name: finalName }) + '\n');
  return { dir, name: finalName, key, vkey: formatVkey(finalName, rawPublicKey(key), SIG_COSIGNATURE_V1) };
}

export type RoundOutcome =
  | { kind: 'cosigned'; size: number; previous: number | null; rootHash: string }
  | { kind: 'unchanged'; size: number }
  | { kind: 'refused'; reason: string; evidence: string }
  | { kind: 'failed'; reason: string };

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** Resolves the log's key: the pinned one (which must match what is stored), or trust on first use. */
async function logVkey(state: WitnessState, client: LogClient, pinned: string | null): Promise<string> {
  const path = join(state.dir, 'log.vkey');
  const stored = existsSync(path) ? readFileSync(path, 'utf8').trim() : null;
  if (pinned) {
    parseVkey(pinned);
    if (stored && stored !== pinned) throw new Error(`--vkey differs from the log key this witness stored (${stored}); use another --state to follow another key`);
    if (!stored) writeAtomic(path, pinned + '\n');
    return pinned;
  }
  if (stored) return stored;
  const fetched = (await client.getText('/api/checkpoint/key')).trim();
  parseVkey(fetched);
  writeAtomic(path, fetched + '\n');
  return fetched;
}

/**
 * One witness round: fetch the checkpoint, check the log's signature, check consistency from
 * the checkpoint stored last, store the new one, cosign it and post the cosignature. A
 * checkpoint that is unsigned, older, a fork at the same size or inconsistent is refused:
 * nothing is cosigned and the evidence is written to the state folder.
 */
export async function witnessRound(state: WitnessState, client: LogClient, pinned: string | null, now: () => number = () => Math.floor(Date.now() / 1000)): Promise<RoundOutcome> {
  const vkey = await logVkey(state, client, pinned);
  const text = await client.getText('/api/checkpoint');
  const lastPath = join(state.dir, 'checkpoint');
  const lastText = existsSync(lastPath) ? readFileSync(lastPath, 'utf8') : null;
  const refuse = (reason: string, proof: unknown = null): RoundOutcome => {
    const dir = join(state.dir, `evidence-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(dir, { recursive: true });
    if (lastText) writeFileSync(join(dir, 'old-checkpoint'), lastText);
    writeFileSync(join(dir, 'new-checkpoint'), text);
    writeFileSync(join(dir, 'proof.json'), JSON.stringify(proof, null, 2) + '\n');
    writeFileSync(join(dir, 'reason.txt'), reason + '\n');
    return { kind: 'refused', reason, evidence: dir };
  };

  let body: string;
  let cp: Checkpoint;
  try {
    body = verifyNote(text, vkey).body;
    cp = parseCheckpoint(body);
  } catch (err) {
    return refuse(`the log's checkpoint is not signed by ${vkey}: ${(err as Error).message}`);
  }
  const last = lastText ? parseCheckpoint(verifyNote(lastText, vkey).body) : null;
  if (last) {
    if (cp.origin !== last.origin) return refuse(`the checkpoint is of ${cp.origin}, this witness follows ${last.origin}`);
    if (cp.size < last.size) return refuse(`the log went back from size ${last.size} to ${cp.size}`);
    if (cp.size === last.size) {
      if (!cp.rootHash.equals(last.rootHash)) return refuse(`two checkpoints of size ${cp.size} with different roots: the log forked`);
      // Seen before: cosigned already unless the log does not show our line (a post that failed).
      if (text.includes(`\n\u2014 ${state.name} `)) return { kind: 'unchanged', size: cp.size };
    }
  }
  if (last && cp.size > last.size) {
    let proof: { from: number; to: number; fromRoot: string; toRoot: string; proof: string[] } | null = null;
    try {
      proof = await client.getJson(`/api/proofs/consistency?from=${last.size}&to=${cp.size}`);
    } catch (err) {
      return { kind: 'failed', reason: `no consistency proof from ${last.size} to ${cp.size}: ${(err as Error).message}` };
    }
    const ok = verifyConsistency(last.size, cp.size, last.rootHash, cp.rootHash, proof!.proof.map((h) => Buffer.from(h, 'hex')));
    if (!ok) return refuse(`the checkpoint of size ${cp.size} is not consistent with the one of size ${last.size} this witness cosigned: the log was rewritten before position ${last.size + 1}`, proof);
  }

  writeAtomic(lastPath, text);
  // Post the log's own signature lines and ours (not other witnesses' lines).
  const logName = parseVkey(vkey).name;
  const logLines = text.slice(body.length + 1).split('\n').filter((l) => l.startsWith(`\u2014 ${logName} `)).map((l) => `${l}\n`).join('');
  const line = cosign(body, state.name, state.key, now());
  const res = await client.request('/api/checkpoint/cosignatures', { method: 'POST', body: `${body}\n${logLines}${line}`, contentType: 'text/plain; charset=utf-8' });
  if (res.status !== 201) {
    const hint = res.status === 403 ? ` (is this witness registered? POST /api/witnesses {"name": "${state.name}", "vkey": "${state.vkey}"})` : '';
    return { kind: 'failed', reason: `the log answered ${res.status} to the cosignature${hint}: ${res.text.slice(0, 300)}` };
  }
  return { kind: 'cosigned', size: cp.size, previous: last?.size ?? null, rootHash: cp.rootHash.toString('hex') };
}
