import { generateKeyPairSync } from 'node:crypto';
import vectors from '../../fixtures/rfc6962/vectors.json';
import v from '../../fixtures/rfc6962/signed-note.json';
import {
  NoteError,
  SIG_COSIGNATURE_V1,
  cosign,
  formatCheckpoint,
  formatVkey,
  parseCheckpoint,
  parseNote,
  parseVkey,
  privateKeyFromSeed,
  rawPublicKey,
  signNote,
  verifyCosignature,
  verifyNote,
} from '../../../src/transparency/note';

const logKey = privateKeyFromSeed(Buffer.from(v.logSeedHex, 'hex'));
const witnessKey = privateKeyFromSeed(Buffer.from(v.witnessSeedHex, 'hex'));
const ORIGIN = 'factcheck.example/claim-ledger';

describe('C2SP signed-note, checkpoint and cosignature: the vectors byte for byte', () => {
  it('the vkeys', () => {
    expect(formatVkey(ORIGIN, rawPublicKey(logKey))).toBe(v.logVkey);
    expect(formatVkey('witness.example/w1', rawPublicKey(witnessKey), SIG_COSIGNATURE_V1)).toBe(v.witnessVkey);
    expect(parseVkey(v.logVkey).keyId.toString('hex')).toBe('2817ded3');
  });

  it('the checkpoint body over the tree of 7 leaves, and the signed note', () => {
    const body = formatCheckpoint(ORIGIN, 7, Buffer.from(vectors.roots[7], 'hex'));
    expect(body).toBe(v.checkpointBody);
    expect(signNote(body, ORIGIN, logKey)).toBe(v.signedNote);
    expect(parseCheckpoint(body)).toEqual({ origin: ORIGIN, size: 7, rootHash: Buffer.from(vectors.roots[7], 'hex'), extensions: [] });
    expect(verifyNote(v.signedNote, v.logVkey).body).toBe(body);
  });

  it('the witness cosignature line, and the note carrying it', () => {
    const line = cosign(v.checkpointBody, 'witness.example/w1', witnessKey, v.cosignatureTimestamp);
    expect(line).toBe(v.cosignatureLine);
    expect(v.signedNote + line).toBe(v.noteWithCosignature);
    expect(verifyCosignature(v.checkpointBody, line, v.witnessVkey)).toBe(v.cosignatureTimestamp);
    // The log's signature still verifies with the cosignature beside it (another key: ignored).
    const note = verifyNote(v.noteWithCosignature, v.logVkey);
    expect(note.signatures.map((s) => s.name)).toEqual([ORIGIN, 'witness.example/w1']);
  });
});

describe('signed notes: what must be rejected', () => {
  it('a one-byte change anywhere in the body', () => {
    for (let i = 0; i < v.checkpointBody.length - 1; i++) {
      const body = v.checkpointBody;
      const changed = body.slice(0, i) + String.fromCharCode(body.charCodeAt(i) ^ 1) + body.slice(i + 1);
      if (changed.includes('\n\n') || changed === body) continue;
      expect(() => verifyNote(v.signedNote.replace(body, changed), v.logVkey)).toThrow(NoteError);
    }
  });

  it('a note signed by another key under the same name (key ID differs: no signature of ours)', () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = signNote(v.checkpointBody, ORIGIN, other);
    expect(() => verifyNote(forged, v.logVkey)).toThrow(/no signature of factcheck.example\/claim-ledger\+2817ded3/);
  });

  it('the right key ID with a signature made by another key', () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = signNote(v.checkpointBody, ORIGIN, other);
    const sigOnly = Buffer.from(forged.split(' ').pop()!.trim(), 'base64').subarray(4);
    const wrongKeyRightId = `${v.checkpointBody}\n— ${ORIGIN} ${Buffer.concat([Buffer.from('2817ded3', 'hex'), sigOnly]).toString('base64')}\n`;
    expect(() => verifyNote(wrongKeyRightId, v.logVkey)).toThrow(/does not verify/);
  });

  it('a wrong key ID on our good signature', () => {
    const blob = Buffer.from(v.signedNote.trim().split(' ').pop()!, 'base64');
    blob[0] ^= 0xff;
    const wrongId = `${v.checkpointBody}\n— ${ORIGIN} ${blob.toString('base64')}\n`;
    expect(() => verifyNote(wrongId, v.logVkey)).toThrow(/no signature of/);
    // A vkey whose key ID does not match its key is refused outright.
    expect(() => parseVkey(v.logVkey.replace('+2817ded3+', '+00000000+'))).toThrow(/key ID does not match/);
  });

  it('an extra signature from an unknown key is ignored', () => {
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const extra = signNote(v.checkpointBody, 'stranger.example/log', stranger).slice(v.checkpointBody.length + 1);
    expect(verifyNote(v.signedNote + extra, v.logVkey).body).toBe(v.checkpointBody);
    expect(verifyNote(v.checkpointBody + '\n' + extra + v.signedNote.slice(v.checkpointBody.length + 1), v.logVkey).signatures).toHaveLength(2);
  });

  it('malformed notes and checkpoints', () => {
    expect(() => parseNote(v.checkpointBody)).toThrow(NoteError);
    expect(() => parseNote(v.signedNote.replace('\u2014', '-'))).toThrow(NoteError);
    expect(() => parseNote(v.signedNote.slice(0, -1))).toThrow(NoteError);
    expect(() => parseCheckpoint('o\n07\nAAAA\n')).toThrow(/size/);
    expect(() => parseCheckpoint(`o\n7\n${Buffer.alloc(31).toString('base64')}\n`)).toThrow(/root hash/);
    expect(() => parseCheckpoint('o\n7\n')).toThrow(NoteError);
  });

  it('a cosignature by another witness key, over another body, or a bad line', () => {
    const line = v.cosignatureLine;
    const other = generateKeyPairSync('ed25519').privateKey;
    expect(() => verifyCosignature(v.checkpointBody, line, formatVkey('witness.example/w1', rawPublicKey(other), SIG_COSIGNATURE_V1))).toThrow(NoteError);
    expect(() => verifyCosignature(v.checkpointBody.replace('\n7\n', '\n8\n'), line, v.witnessVkey)).toThrow(/does not verify/);
    expect(() => verifyCosignature(v.checkpointBody, line, v.logVkey)).toThrow(/cosignature\/v1/);
    expect(() => verifyCosignature(v.checkpointBody, line.replace('w1', 'w2'), v.witnessVkey)).toThrow(NoteError);
  });
});
