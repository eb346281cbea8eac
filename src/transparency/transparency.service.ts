import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConflictError, ForbiddenError, InvalidCommandError, NotFoundError, NotRatedError } from '../domain/errors';
import { claimStreamId, type StoredEvent, type StoredEventOf } from '../domain/events';
import { EventStore } from '../ledger/event-store';
import { LedgerReader } from '../ledger/ledger-reader';
import type { SqlExecutor } from '../ledger/sql-executor';
import { MissingNodeError, queryOf, storedConsistency, storedInclusion, treeSize } from '../projections/merkle-tree/queries';
import { CheckpointSigner, type SignedCheckpoint } from './checkpoints';
import { NoteError, SIG_COSIGNATURE_V1, parseCheckpoint, parseNote, parseVkey, verifyCosignature } from './note';

export interface InclusionProofView {
  position: number;
  size: number;
  leafHash: string;
  rootHash: string;
  proof: string[];
}

export interface ConsistencyProofView {
  from: number;
  to: number;
  fromRoot: string;
  toRoot: string;
  proof: string[];
}

export interface WitnessView {
  name: string;
  vkey: string;
  keyId: string;
  createdAt: string;
}

export interface CosignatureAccepted {
  size: number;
  witness: string;
  timestamp: number;
}

const hex = (b: Buffer) => b.toString('hex');
const isStatusChange = (e: StoredEvent): e is StoredEventOf<'VerificationStatusChanged'> => e.type === 'VerificationStatusChanged';

/** Proofs from the stored tree, signed checkpoints with their cosignatures, witnesses (docs/transparency.md). */
@Injectable()
export class TransparencyService {
  constructor(
    private readonly ds: DataSource,
    private readonly store: EventStore,
    private readonly reader: LedgerReader,
    readonly signer: CheckpointSigner,
  ) {}

  /** The signed note with every cosignature line it has, as GET /api/checkpoint serves it. */
  async checkpointText(size?: number): Promise<string> {
    return (await this.checkpoint(size)).text;
  }

  /** The checkpoint (latest, or signed at `size`) and its text with cosignatures; 404 when none. */
  async checkpoint(size?: number): Promise<{ checkpoint: SignedCheckpoint; text: string }> {
    const cp = size === undefined ? await this.signer.latest() : await this.signer.at(size);
    if (!cp) throw new NotFoundError(size === undefined ? 'no checkpoint has been signed yet (the log is empty)' : `no checkpoint was signed at size ${size}`, 'size');
    return { checkpoint: cp, text: await this.withCosignatures(cp) };
  }

  async withCosignatures(cp: SignedCheckpoint): Promise<string> {
    const rows: Array<{ line: string }> = await this.ds.query('SELECT line FROM checkpoint_cosignatures WHERE size = ? ORDER BY witness', [cp.size]);
    return cp.note + rows.map((r) => r.line).join('');
  }

  private async head(): Promise<number> {
    return treeSize(queryOf(this.ds));
  }

  /**
   * The proof routes read only the nodes a proof needs (two queries): the head is asked only
   * when a node is missing, to tell a size beyond the head (400) from a damaged tree.
   */
  private async proofWithin<T>(size: number, field: string, what: string, compute: () => Promise<T>): Promise<T> {
    try {
      return await compute();
    } catch (err) {
      if (!(err instanceof MissingNodeError)) throw err;
      const head = await this.head();
      if (size > head) throw new InvalidCommandError(`${what}: ${field} ${size} is beyond the head (${head})`, field);
      throw err;
    }
  }

  async inclusion(position: number, size: number): Promise<InclusionProofView> {
    if (!(position >= 1 && position <= size)) throw new InvalidCommandError(`need 1 ≤ position ≤ size ≤ head, got position ${position}, size ${size}`, 'position');
    const p = await this.proofWithin(size, 'size', 'need 1 ≤ position ≤ size ≤ head', () => storedInclusion(queryOf(this.ds), position, size));
    return { position, size, leafHash: hex(p.leafHash), rootHash: hex(p.rootHash), proof: p.proof.map(hex) };
  }

  async consistency(from: number, to: number): Promise<ConsistencyProofView> {
    if (!(from >= 1 && from <= to)) throw new InvalidCommandError(`need 1 ≤ from ≤ to ≤ head, got from ${from}, to ${to}`, 'from');
    const p = await this.proofWithin(to, 'to', 'need 1 ≤ from ≤ to ≤ head', () => storedConsistency(queryOf(this.ds), from, to));
    return { from, to, fromRoot: hex(p.fromRoot), toRoot: hex(p.toRoot), proof: p.proof.map(hex) };
  }

  /**
   * The claim's latest VerificationStatusChanged, its inclusion proof in the latest signed
   * checkpoint's tree and that checkpoint. A verdict newer than the latest checkpoint gets one
   * signed now (the log has grown, so the signer signs).
   */
  async claimProof(claimId: string): Promise<{ event: StoredEvent; inclusion: InclusionProofView; checkpoint: string }> {
    const events = await this.reader.readStream(claimStreamId(claimId));
    if (!events[0] || events[0].type !== 'ClaimRecorded') throw new NotFoundError(`no claim with id ${claimId}`, 'id');
    const verdict = [...events].reverse().find(isStatusChange);
    if (!verdict) throw new NotRatedError(`claim ${claimId} has no verdict yet (no VerificationStatusChanged): nothing to prove`);
    const cp = await this.checkpointCovering(verdict.position);
    if (!cp) throw new NotFoundError('no signed checkpoint covers this verdict yet; retry shortly', 'id');
    const inclusion = await this.inclusion(verdict.position, cp.size);
    return { event: verdict, inclusion, checkpoint: await this.withCosignatures(cp) };
  }

  /** The latest signed checkpoint if it covers `position`; else one is signed now (null if that fails). */
  async checkpointCovering(position: number): Promise<SignedCheckpoint | null> {
    let cp = await this.signer.latest();
    if (!cp || cp.size < position) {
      await this.signer.signIfGrown().catch(() => null);
      cp = await this.signer.latest();
    }
    return cp && cp.size >= position ? cp : null;
  }

  // -------------------------------------------------------------------------------------------
  // Witnesses

  async registerWitness(name: string, vkeyText: string, idempotent: (tx: SqlExecutor, view: WitnessView) => Promise<void>): Promise<WitnessView> {
    let vkey;
    try {
      vkey = parseVkey(vkeyText);
    } catch (err) {
      throw new InvalidCommandError(`vkey: ${(err as Error).message}`, 'vkey');
    }
    if (vkey.type !== SIG_COSIGNATURE_V1) throw new InvalidCommandError('vkey must be a cosignature/v1 Ed25519 key (type 0x04)', 'vkey');
    if (vkey.name !== name) throw new InvalidCommandError(`the vkey is named ${vkey.name}, not ${name}`, 'name');
    const normalized = vkeyText.trim();
    return this.store.transaction(async (tx) => {
      const existing = await tx.get<{ name: string; vkey: string; created_at: string }>('SELECT name, vkey, created_at FROM witnesses WHERE name = ?', [name]);
      if (existing && existing.vkey !== normalized) throw new ConflictError(`a witness named ${name} is registered with another key`, 'name');
      const view: WitnessView = { name, vkey: normalized, keyId: vkey.keyId.toString('hex'), createdAt: existing?.created_at ?? new Date().toISOString() };
      await idempotent(tx, view);
      if (!existing) await tx.run('INSERT INTO witnesses (name, vkey, created_at) VALUES (?, ?, ?)', [name, normalized, view.createdAt]);
      return view;
    });
  }

  async witnesses(): Promise<WitnessView[]> {
    const rows: Array<{ name: string; vkey: string; created_at: string }> = await this.ds.query('SELECT name, vkey, created_at FROM witnesses ORDER BY name');
    return rows.map((r) => ({ name: r.name, vkey: r.vkey, keyId: parseVkey(r.vkey).keyId.toString('hex'), createdAt: r.created_at }));
  }

  /**
   * A checkpoint this log signed with one cosignature line of a registered witness: the
   * cosignature is checked and kept (once per witness and size; the same again is accepted).
   */
  async addCosignature(text: string, idempotent: (tx: SqlExecutor, accepted: CosignatureAccepted) => Promise<void>): Promise<CosignatureAccepted> {
    let note;
    let size: number;
    try {
      note = parseNote(text);
      size = parseCheckpoint(note.body).size;
    } catch (err) {
      throw new InvalidCommandError(`not a signed checkpoint: ${(err as Error).message}`, 'body');
    }
    const ours = await this.signer.at(size);
    if (!ours || parseNote(ours.note).body !== note.body) throw new InvalidCommandError(`this log signed no checkpoint with that body (size ${size})`, 'body');
    const registered = await this.witnesses();
    const byName = new Map(registered.map((w) => [w.name, w]));
    const lines = note.signatures.filter((s) => byName.has(s.name));
    if (lines.length === 0) throw new ForbiddenError('the checkpoint carries no cosignature of a registered witness');
    if (lines.length > 1) throw new InvalidCommandError('send one cosignature line per request', 'body');
    const line = lines[0];
    let timestamp: number;
    try {
      timestamp = verifyCosignature(note.body, line, byName.get(line.name)!.vkey);
    } catch (err) {
      if (err instanceof NoteError) throw new ForbiddenError(`the cosignature of ${line.name} does not verify: ${err.message}`);
      throw err;
    }
    const accepted: CosignatureAccepted = { size, witness: line.name, timestamp };
    await this.store.transaction(async (tx) => {
      await idempotent(tx, accepted);
      await tx.run(
        'INSERT INTO checkpoint_cosignatures (size, witness, line, cosigned_at, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (size, witness) DO NOTHING',
        [size, line.name, line.line, timestamp, new Date().toISOString()],
      );
    });
    return accepted;
  }
}
