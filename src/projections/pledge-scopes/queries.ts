import type { DataSource } from 'typeorm';
import type { Scope } from '../../domain/types';

/** Every pledge's scope, in log order (the order the matcher tries them in). */
export async function allPledgeScopes(ds: DataSource): Promise<Array<{ claimId: string; scope: Scope }>> {
  const rows: Array<{ claim_id: string; scope: string }> = await ds.query('SELECT claim_id, scope FROM pledge_scopes ORDER BY position');
  return rows.map((r) => ({ claimId: r.claim_id, scope: JSON.parse(r.scope) as Scope }));
}

/** The pledge's scope; null for a claim, a pledge without scope, or no such claim. */
export async function pledgeScopeOf(ds: DataSource, claimId: string): Promise<Scope | null> {
  const rows: Array<{ scope: string }> = await ds.query('SELECT scope FROM pledge_scopes WHERE claim_id = ?', [claimId]);
  return rows[0] ? (JSON.parse(rows[0].scope) as Scope) : null;
}
