import { ClaimsListProjector } from './claims-list/claims-list.projector';
import { EvidenceProjector } from './evidence/evidence.projector';
import { PledgeScopesProjector } from './pledge-scopes/pledge-scopes.projector';
import type { ReplayingProjector } from './replay-batch';

/**
 * The inline read models, one projector each, over disjoint tables (so the event store and the
 * rebuild may write them together). Every assembly registers this one list with its EventStore.
 */
export function readModelProjectors(): ReplayingProjector[] {
  return [new ClaimsListProjector(), new PledgeScopesProjector(), new EvidenceProjector()];
}
