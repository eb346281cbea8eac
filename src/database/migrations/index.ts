import { InitialSchema1764115200000 } from './1764115200000-InitialSchema';
import { Transparency1764600000012 } from './1764600000012-Transparency';
import { ImportV11764600000013 } from './1764600000013-ImportV1';
import { WorkflowV11764600000014 } from './1764600000014-WorkflowV1';
import { DeadLetters1764600000020 } from './1764600000020-DeadLetters';
import { IdempotencyExpiry1764600000021 } from './1764600000021-IdempotencyExpiry';
import { MerkleUpperLevels1764600000026 } from './1764600000026-MerkleUpperLevels';

/** Every migration this build knows, oldest first. A database with others is newer than us. */
export const MIGRATIONS = [InitialSchema1764115200000, Transparency1764600000012, ImportV11764600000013, WorkflowV11764600000014, DeadLetters1764600000020, IdempotencyExpiry1764600000021, MerkleUpperLevels1764600000026];
