import { ClaimsListProjector } from './claims-list/claims-list.projector';
import { EvidenceProjector } from './evidence/evidence.projector';
import { MerkleTreeProjector } from './merkle-tree/merkle-tree.projector';
import { PledgeScopesProjector } from './pledge-scopes/pledge-scopes.projector';
import { ReportIndexProjector } from './report-index/report-index.projector';
import type { ReplayingProjector } from './replay-batch';

/**
 * The inline read models, one projector each, over disjoint tables (so the event store and the
 * rebuild may write them together). Every assembly registers this one list with its EventStore.
 * The Merkle tree is one of them: every process that appends must keep it (docs/transparency.md).
 */
export function readModelProjectors(): ReplayingProjector[] {
  return [new ClaimsListProjector(), new PledgeScopesProjector(), new EvidenceProjector(), new ReportIndexProjector(), new MerkleTreeProjector()];
}
