import type { DataSource } from 'typeorm';
import type { EvidenceSubmittedData } from '../../domain/events';
import type { AttachedBy, Stance } from '../../domain/types';
import type { SqlExecutor } from '../../ledger/sql-executor';

/** Ids per `IN (…)` list: well under SQLite's limit on bound parameters. */
const IDS_PER_QUERY = 500;

/** Field reports (evidence for no claim in particular) not retracted, in log order, with their EvidenceSubmitted data. */
export async function unretractedReports(ds: DataSource): Promise<Array<{ evidenceId: string; data: EvidenceSubmittedData }>> {
  const rows: Array<{ id: string; data: string }> = await ds.query(
    'SELECT id, data FROM evidence WHERE is_report = 1 AND retracted_at IS NULL ORDER BY position',
  );
  return rows.map((r) => ({ evidenceId: r.id, data: JSON.parse(r.data) as EvidenceSubmittedData }));
}

/** These reports (by id) that are not retracted, in log order, with their current facts (the latest revision's). */
export async function unretractedReportsByIds(ds: DataSource, ids: readonly string[]): Promise<Array<{ evidenceId: string; data: EvidenceSubmittedData }>> {
  const out: Array<{ evidenceId: string; data: EvidenceSubmittedData; position: number }> = [];
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const chunk = ids.slice(i, i + IDS_PER_QUERY);
    const rows: Array<{ id: string; data: string; position: number | string }> = await ds.query(
      `SELECT id, data, position FROM evidence WHERE id IN (${chunk.map(() => '?').join(',')}) AND is_report = 1 AND retracted_at IS NULL`,
      chunk,
    );
    for (const r of rows) out.push({ evidenceId: r.id, data: JSON.parse(r.data) as EvidenceSubmittedData, position: Number(r.position) });
  }
  return out.sort((a, b) => a.position - b.position).map(({ evidenceId, data }) => ({ evidenceId, data }));
}

/** The EvidenceSubmitted data of each piece by id; ids not in the read model are simply absent. */
export async function evidenceDataByIds(ds: DataSource, ids: readonly string[]): Promise<Map<string, EvidenceSubmittedData>> {
  const out = new Map<string, EvidenceSubmittedData>();
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const chunk = ids.slice(i, i + IDS_PER_QUERY);
    const rows: Array<{ id: string; data: string }> = await ds.query(
      `SELECT id, data FROM evidence WHERE id IN (${chunk.map(() => '?').join(',')})`,
      chunk,
    );
    for (const row of rows) out.set(row.id, JSON.parse(row.data) as EvidenceSubmittedData);
  }
  return out;
}

/** The claims the piece is attached to now (attached and not detached since). */
export async function claimsAttachedTo(ds: DataSource, evidenceId: string): Promise<string[]> {
  const rows: Array<{ claim_id: string }> = await ds.query(
    'SELECT claim_id FROM attachments WHERE evidence_id = ? AND detached_position IS NULL',
    [evidenceId],
  );
  return rows.map((r) => r.claim_id);
}

/** One attachment of a piece of evidence to a claim, as the attachments table holds it. */
export interface AttachmentRow {
  claim_id: string;
  stance: Stance;
  attached_by: AttachedBy;
  attached_at: string;
  attached_position: number;
  detached_position: number | null;
}

/** Every claim the piece was ever attached to (detached ones too), in the order of attachment. */
export async function attachmentsOfEvidence(ds: DataSource, evidenceId: string): Promise<AttachmentRow[]> {
  return ds.query(
    'SELECT claim_id, stance, attached_by, attached_at, attached_position, detached_position FROM attachments WHERE evidence_id = ? ORDER BY attached_position',
    [evidenceId],
  );
}

/**
 * Evidence submitted for the claim after `position` (the first found), read in the append's
 * own transaction: the If-Match guard on evidence for a claim (see EvidenceService).
 */
export async function evidenceSubmittedForClaimAfter(tx: SqlExecutor, claimId: string, position: number): Promise<{ position: number } | undefined> {
  return tx.get<{ position: number }>('SELECT position FROM evidence WHERE claim_id = ? AND position > ? LIMIT 1', [claimId, position]);
}
