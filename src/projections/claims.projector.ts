import type { ClaimRecordedData, EvidenceSubmittedData, StoredEvent } from '../ledger/event-catalogue';
import type { InlineProjector } from '../ledger/event-store.types';
import type { SqlExecutor } from '../ledger/sql-executor';

export const normalizeText = (s: string): string => s.trim().toLowerCase();
export const idFromStream = (streamId: string): string => streamId.slice(streamId.indexOf('-') + 1);

/**
 * Read models written in the append's own transaction: the claims list (filters, status),
 * pledge scopes (for the matcher), evidence and attachments (for the evidence view and the
 * jobs). Every table here is derived: a rebuild empties them and replays the log through `apply`.
 */
export class ReadModelProjector implements InlineProjector {
  readonly name = 'read-models';
  readonly tables = ['claims', 'claim_topics', 'pledge_scopes', 'evidence', 'attachments'] as const;

  async apply(tx: SqlExecutor, e: StoredEvent): Promise<void> {
    switch (e.type) {
      case 'ClaimRecorded':
        return this.claimRecorded(tx, e.streamId, e as StoredEvent & { data: ClaimRecordedData });
      case 'EvidenceAttached': {
        const d = e.data as { evidenceId: string; stance: string; attachedBy: string };
        await tx.run(
          `INSERT INTO attachments (claim_id, evidence_id, stance, attached_by, attached_at, attached_position)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (claim_id, evidence_id) DO NOTHING`,
          [idFromStream(e.streamId), d.evidenceId, d.stance, d.attachedBy, e.recordedAt, e.position],
        );
        return this.touchClaim(tx, e);
      }
      case 'EvidenceDetached': {
        const d = e.data as { evidenceId: string };
        await tx.run('UPDATE attachments SET detached_position = ? WHERE claim_id = ? AND evidence_id = ?', [
          e.position, idFromStream(e.streamId), d.evidenceId,
        ]);
        return this.touchClaim(tx, e);
      }
      case 'VerificationStatusChanged':
        await tx.run('UPDATE claims SET status = ? WHERE id = ?', [(e.data as { to: string }).to, idFromStream(e.streamId)]);
        return this.touchClaim(tx, e);
      case 'EvidenceSubmitted': {
        const d = e.data as EvidenceSubmittedData;
        await tx.run(
          'INSERT INTO evidence (id, position, claim_id, is_report, data, recorded_at) VALUES (?, ?, ?, ?, ?, ?)',
          [idFromStream(e.streamId), e.position, d.claimId, d.claimId ? 0 : 1, JSON.stringify(d), e.recordedAt],
        );
        return;
      }
      case 'EvidenceRetracted':
        await tx.run('UPDATE evidence SET retracted_at = ?, retraction_reason = ? WHERE id = ?', [
          e.recordedAt, (e.data as { reason: string }).reason, idFromStream(e.streamId),
        ]);
        return;
    }
  }

  private async claimRecorded(tx: SqlExecutor, streamId: string, e: StoredEvent & { data: ClaimRecordedData }): Promise<void> {
    const id = idFromStream(streamId);
    const c = e.data;
    const summary = { kind: c.kind, statement: c.statement, speaker: c.speaker, madeAt: c.madeAt, source: c.source, topics: c.topics };
    await tx.run(
      `INSERT INTO claims (id, position, kind, statement, statement_norm, speaker_name, speaker_norm, made_at, status, version, recorded_at, updated_at, summary)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'unverified', ?, ?, ?, ?)`,
      [id, e.position, c.kind, c.statement, normalizeText(c.statement), c.speaker.name, normalizeText(c.speaker.name), c.madeAt,
        e.streamVersion, e.recordedAt, e.recordedAt, JSON.stringify(summary)],
    );
    const topics = [...new Set(c.topics.map(normalizeText))];
    for (const topic of topics) {
      await tx.run('INSERT INTO claim_topics (claim_id, topic_norm, position) VALUES (?, ?, ?)', [id, topic, e.position]);
    }
    if (c.kind === 'pledge' && c.scope) {
      await tx.run('INSERT INTO pledge_scopes (claim_id, position, scope) VALUES (?, ?, ?)', [id, e.position, JSON.stringify(c.scope)]);
    }
  }

  private async touchClaim(tx: SqlExecutor, e: StoredEvent): Promise<void> {
    await tx.run('UPDATE claims SET version = ?, updated_at = ? WHERE id = ?', [e.streamVersion, e.recordedAt, idFromStream(e.streamId)]);
  }
}
