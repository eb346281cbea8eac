import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { formatVkey, privateKeyFromSeed, rawPublicKey } from './note';

/** The file a generated key is kept in, beside the SQLite file (or DATABASE_PATH's folder on PostgreSQL). */
export const SIGNING_KEY_FILE = 'ledger-signing-key.pem';

export interface LogSigningKey {
  /** The key name: the checkpoint origin. */
  name: string;
  privateKey: KeyObject;
  publicKey: Buffer;
  /** C2SP vkey of the log (public). */
  vkey: string;
  /** Where it came from (never the key itself): 'LEDGER_SIGNING_KEY', or the file's path. */
  source: string;
  /** True when this start generated it (its vkey is then printed, once). */
  generated: boolean;
}

/** An Ed25519 private key from PKCS#8 PEM or base64 of a 32-byte seed (LEDGER_SIGNING_KEY's two forms). */
export function parseSigningKey(text: string): KeyObject {
  const v = text.trim();
  const key = v.startsWith('-----BEGIN') ? createPrivateKey(v) : privateKeyFromSeed(Buffer.from(v, 'base64'));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the signing key is not an Ed25519 key');
  return key;
}

/**
 * The log's signing key: LEDGER_SIGNING_KEY when set; else the file beside the database,
 * generated on first start with mode 0600 (created exclusively, so processes starting together
 * on one folder end up with the same key). Several machines on one PostgreSQL need the same
 * LEDGER_SIGNING_KEY.
 */
export function loadSigningKey(opts: { configured: string | null; databasePath: string; name: string }): LogSigningKey {
  let privateKey: KeyObject;
  let source: string;
  let generated = false;
  if (opts.configured) {
    privateKey = parseSigningKey(opts.configured);
    source = 'LEDGER_SIGNING_KEY';
  } else {
    const path = join(dirname(resolve(opts.databasePath)), SIGNING_KEY_FILE);
    source = path;
    mkdirSync(dirname(path), { recursive: true });
    try {
      const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
      writeFileSync(path, pem, { flag: 'wx', mode: 0o600 });
      generated = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) throw new Error(`${path} is readable by others (mode ${mode.toString(8)}): chmod 600 it`);
    privateKey = parseSigningKey(readFileSync(path, 'utf8'));
  }
  const publicKey = rawPublicKey(privateKey);
  return { name: opts.name, privateKey, publicKey, vkey: formatVkey(opts.name, publicKey), source, generated };
}
