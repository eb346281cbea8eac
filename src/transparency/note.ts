import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * C2SP signed-note, tlog-checkpoint and tlog-cosignature v1 (Ed25519), pure: formatting,
 * parsing and verification with node:crypto's Ed25519 (no hand-written crypto).
 *
 *   note      = body "\n" 1*(signature line)
 *   body      = 1*(line "\n")            (no empty line; checkpoint: origin, size, base64 root, extensions)
 *   signature = "— " name " " base64(4-byte key ID ‖ signature) "\n"
 *
 * key ID = SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]; type 0x01 for the log's Ed25519
 * signatures, 0x04 for a witness's cosignature v1 (whose signature is an 8-byte big-endian
 * timestamp ‖ Ed25519 over "cosignature/v1\ntime <t>\n" ‖ body).
 */

export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;
const EM_DASH_PREFIX = '\u2014 ';
const MAX_SIGNATURES = 100;

export class NoteError extends Error {}

export interface Vkey {
  name: string;
  keyId: Buffer;
  type: number;
  publicKey: Buffer;
}

export interface NoteSignature {
  name: string;
  keyId: Buffer;
  /** What follows the key ID: the Ed25519 signature (type 0x01), or timestamp ‖ signature (0x04). */
  signature: Buffer;
  /** The line as it appeared, with its newline. */
  line: string;
}

export interface ParsedNote {
  body: string;
  signatures: NoteSignature[];
}

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  /** Extension lines after the root, if any (kept, not interpreted). */
  extensions: string[];
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A key name: non-empty, no whitespace, no '+'. */
export function validKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

export function keyId(name: string, type: number, publicKey: Uint8Array): Buffer {
  return createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, type])).update(publicKey).digest().subarray(0, 4);
}

/** The Ed25519 private key of a 32-byte seed. */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new NoteError(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The 32 raw bytes of an Ed25519 public (or private) key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'ed25519') throw new NoteError(`expected an Ed25519 key, got ${pub.asymmetricKeyType}`);
  return pub.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
}

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new NoteError(`an Ed25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** C2SP vkey: `<name>+<8 hex key ID>+<base64(type ‖ public key)>`. */
export function formatVkey(name: string, publicKey: Uint8Array, type = SIG_ED25519): string {
  if (!validKeyName(name)) throw new NoteError(`invalid key name ${JSON.stringify(name)}`);
  return `${name}+${keyId(name, type, publicKey).toString('hex')}+${Buffer.concat([Buffer.from([type]), publicKey]).toString('base64')}`;
}

export function parseVkey(vkey: string): Vkey {
  // The base64 key may itself hold '+': the name ends at the first '+', the key ID is 8 hex digits.
  const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(vkey.trim());
  if (!m) throw new NoteError('a vkey is <name>+<key ID hex>+<base64 key>');
  const [, name, idHex, b64] = m;
  if (!validKeyName(name)) throw new NoteError('the vkey has an invalid name');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new NoteError('the vkey key ID must be 8 lowercase hex digits');
  const blob = strictBase64(b64);
  if (!blob || blob.length !== 33) throw new NoteError('the vkey key must be base64 of a type byte and a 32-byte Ed25519 key');
  const type = blob[0];
  if (type !== SIG_ED25519 && type !== SIG_COSIGNATURE_V1) throw new NoteError(`unsupported vkey type 0x${type.toString(16).padStart(2, '0')}`);
  const publicKey = blob.subarray(1);
  const id = keyId(name, type, publicKey);
  if (id.toString('hex') !== idHex) throw new NoteError('the vkey key ID does not match its name and key');
  return { name, keyId: id, type, publicKey };
}

/** Base64 (standard alphabet, padded) that round-trips exactly, or null. */
export function strictBase64(s: string): Buffer | null {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  const b = Buffer.from(s, 'base64');
  return b.toString('base64') === s ? b : null;
}

// ---------------------------------------------------------------------------------------------
// Checkpoint bodies

export function formatCheckpoint(origin: string, size: number, rootHash: Uint8Array): string {
  if (!origin || /\n/.test(origin)) throw new NoteError('the origin must be one non-empty line');
  if (!Number.isSafeInteger(size) || size < 0) throw new NoteError('the size must be a non-negative integer');
  if (rootHash.length !== 32) throw new NoteError('the root hash must be 32 bytes');
  return `${origin}\n${size}\n${Buffer.from(rootHash).toString('base64')}\n`;
}

export function parseCheckpoint(body: string): Checkpoint {
  if (!body.endsWith('\n')) throw new NoteError('a checkpoint body ends with a newline');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new NoteError('a checkpoint has an origin, a size and a root hash');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!origin) throw new NoteError('the checkpoint origin is empty');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new NoteError('the checkpoint size is not a decimal number');
  const rootHash = strictBase64(rootText);
  if (!rootHash || rootHash.length !== 32) throw new NoteError('the checkpoint root hash is not base64 of 32 bytes');
  if (extensions.some((l) => l === '')) throw new NoteError('a checkpoint body has no empty lines');
  return { origin, size: Number(sizeText), rootHash, extensions };
}

// ---------------------------------------------------------------------------------------------
// Signed notes

function signatureLine(name: string, id: Uint8Array, sig: Uint8Array): string {
  return `${EM_DASH_PREFIX}${name} ${Buffer.concat([id, sig]).toString('base64')}\n`;
}

/** Signs a note body with the log's Ed25519 key; returns the whole note (body, blank line, one signature line). */
export function signNote(body: string, name: string, privateKey: KeyObject): string {
  assertBody(body);
  const pub = rawPublicKey(privateKey);
  const sig = sign(null, Buffer.from(body, 'utf8'), privateKey);
  return `${body}\n${signatureLine(name, keyId(name, SIG_ED25519, pub), sig)}`;
}

function assertBody(body: string): void {
  if (!body.endsWith('\n')) throw new NoteError('a note body ends with a newline');
  if (body.includes('\n\n')) throw new NoteError('a note body has no empty lines');
}

export function parseNote(text: string): ParsedNote {
  if (text.length > 1_000_000) throw new NoteError('the note is too long');
  if (text.includes('\r')) throw new NoteError('the note has a carriage return');
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('the note has no signature block (a blank line after the body)');
  const body = text.slice(0, split + 1);
  const block = text.slice(split + 2);
  if (!block.endsWith('\n')) throw new NoteError('the note does not end with a newline');
  if (body.includes('\n\n') || body.length <= 1) throw new NoteError('the note body is empty or has empty lines');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteError(`the note has more than ${MAX_SIGNATURES} signatures`);
  const signatures = lines.map((l) => parseSignatureLine(`${l}\n`));
  return { body, signatures };
}

export function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(EM_DASH_PREFIX) || !line.endsWith('\n')) throw new NoteError('a signature line is "— <name> <base64>"');
  const rest = line.slice(EM_DASH_PREFIX.length, -1);
  const space = rest.lastIndexOf(' ');
  if (space <= 0) throw new NoteError('a signature line is "— <name> <base64>"');
  const name = rest.slice(0, space);
  if (!validKeyName(name)) throw new NoteError('a signature line has an invalid key name');
  const blob = strictBase64(rest.slice(space + 1));
  if (!blob || blob.length < 5) throw new NoteError('a signature is base64 of a key ID and a signature');
  return { name, keyId: blob.subarray(0, 4), signature: blob.subarray(4), line };
}

/**
 * Checks the note against the log's vkey: it must carry a signature line with that name and
 * key ID whose Ed25519 signature verifies over the body. Lines of other keys are ignored (the
 * spec allows unknown signers), but a line claiming this key with a bad signature rejects.
 */
export function verifyNote(text: string, vkey: Vkey | string): ParsedNote {
  const key = typeof vkey === 'string' ? parseVkey(vkey) : vkey;
  if (key.type !== SIG_ED25519) throw new NoteError('the verifier key is not an Ed25519 note key (type 0x01)');
  const note = parseNote(text);
  const pub = publicKeyFromRaw(key.publicKey);
  let verified = false;
  for (const s of note.signatures) {
    if (s.name !== key.name || !s.keyId.equals(key.keyId)) continue;
    if (s.signature.length !== 64 || !verify(null, Buffer.from(note.body, 'utf8'), pub, s.signature)) {
      throw new NoteError(`the signature of ${key.name} does not verify`);
    }
    verified = true;
  }
  if (!verified) throw new NoteError(`the note carries no signature of ${key.name}+${key.keyId.toString('hex')}`);
  return note;
}

// ---------------------------------------------------------------------------------------------
// Cosignatures (tlog-cosignature v1)

function cosignedMessage(body: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${body}`, 'utf8');
}

/** A witness's cosignature line over a checkpoint body. */
export function cosign(body: string, name: string, privateKey: KeyObject, timestamp: number): string {
  assertBody(body);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new NoteError('the timestamp must be a non-negative integer');
  const pub = rawPublicKey(privateKey);
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(timestamp));
  const sig = sign(null, cosignedMessage(body, timestamp), privateKey);
  return signatureLine(name, keyId(name, SIG_COSIGNATURE_V1, pub), Buffer.concat([ts, sig]));
}

/** Checks one cosignature line against a witness vkey (type 0x04); returns its timestamp. */
export function verifyCosignature(body: string, line: NoteSignature | string, vkey: Vkey | string): number {
  const key = typeof vkey === 'string' ? parseVkey(vkey) : vkey;
  if (key.type !== SIG_COSIGNATURE_V1) throw new NoteError('the witness key is not a cosignature/v1 key (type 0x04)');
  const s = typeof line === 'string' ? parseSignatureLine(line) : line;
  if (s.name !== key.name) throw new NoteError(`the cosignature is by ${s.name}, not ${key.name}`);
  if (!s.keyId.equals(key.keyId)) throw new NoteError('the cosignature key ID does not match the witness key');
  if (s.signature.length !== 72) throw new NoteError('a cosignature is an 8-byte timestamp and a 64-byte signature');
  const timestamp = Number(s.signature.readBigUInt64BE(0));
  if (!Number.isSafeInteger(timestamp)) throw new NoteError('the cosignature timestamp is out of range');
  if (!verify(null, cosignedMessage(body, timestamp), publicKeyFromRaw(key.publicKey), s.signature.subarray(8))) {
    throw new NoteError(`the cosignature of ${key.name} does not verify`);
  }
  return timestamp;
}
