import { ApiProperty } from '@nestjs/swagger';
import { EventSchema } from '../ledger/http/event.schema';

/** Examples: the signed checkpoint and witness cosignature of the shared test vectors (tree of 7 leaves). */
export const CHECKPOINT_EXAMPLE =
  'factcheck.example/claim-ledger\n7\n3bib5AOAnjJXUNPSY814kpwpQreUKjS3fhIslZSnTIw=\n\n' +
  '— factcheck.example/claim-ledger KBfe00TlFGow3PY4Jd8SXP2TIeZEd9ZwC9NOR62Gu4wOraXPGS28SvCdb1KRKlyQobHwSXL2VQfMJnkqL6J9QH6iawg=\n';
export const COSIGNATURE_LINE_EXAMPLE =
  '— witness.example/w1 IDJKvgAAAABiRA4AbouOL2rcgVOVV8jCduKWn3ThNjt35En8jnEKXxd8TZa0+Kj2gt5QLWBZl4bl1Mra0kqt2qHgsh3Cuw339n5BAA==\n';
export const LOG_VKEY_EXAMPLE = 'factcheck.example/claim-ledger+2817ded3+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4';
export const WITNESS_VKEY_EXAMPLE = 'witness.example/w1+20324abe+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X';
const ROOT7 = 'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c';
const ROOT4 = 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7';

/** GET /api/proofs/inclusion (RFC 9162 §2.1.3). */
export class InclusionProofSchema {
  @ApiProperty({ example: 3, description: 'The event position (leaf index + 1)' })
  position!: number;

  @ApiProperty({ example: 7, description: 'The tree size the proof is for' })
  size!: number;

  @ApiProperty({ example: '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7', description: 'SHA-256(0x00 ‖ event hash bytes), hex' })
  leafHash!: string;

  @ApiProperty({ example: ROOT7, description: 'The root of the tree of `size` leaves, hex' })
  rootHash!: string;

  @ApiProperty({
    type: [String],
    example: ['07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7', 'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125', '837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e'],
    description: 'The audit path, leaf side first, hex',
  })
  proof!: string[];
}

/** GET /api/proofs/consistency (RFC 9162 §2.1.4). */
export class ConsistencyProofSchema {
  @ApiProperty({ example: 4 })
  from!: number;

  @ApiProperty({ example: 7 })
  to!: number;

  @ApiProperty({ example: ROOT4 })
  fromRoot!: string;

  @ApiProperty({ example: ROOT7 })
  toRoot!: string;

  @ApiProperty({ type: [String], example: ['837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e'] })
  proof!: string[];
}

/** GET /api/claims/:id/proof: one verdict, checkable with nothing else downloaded. */
export class ClaimProofSchema {
  @ApiProperty({ type: () => EventSchema, description: "The claim's latest VerificationStatusChanged, as the feed gives it" })
  event!: EventSchema;

  @ApiProperty({ type: () => InclusionProofSchema, description: "Its inclusion proof in the latest signed checkpoint's tree" })
  inclusion!: InclusionProofSchema;

  @ApiProperty({ example: CHECKPOINT_EXAMPLE + COSIGNATURE_LINE_EXAMPLE, description: 'That signed checkpoint (C2SP signed note) with its cosignatures' })
  checkpoint!: string;
}

export class RegisterWitnessSchema {
  @ApiProperty({ example: 'witness.example/w1', description: 'The witness key name (as in its vkey)' })
  name!: string;

  @ApiProperty({ example: WITNESS_VKEY_EXAMPLE, description: 'C2SP vkey of a cosignature/v1 Ed25519 key (type 0x04)' })
  vkey!: string;
}

export class WitnessSchema extends RegisterWitnessSchema {
  @ApiProperty({ example: '20324abe' })
  keyId!: string;

  @ApiProperty({ example: '2022-03-30T09:00:00.000Z' })
  createdAt!: string;
}

export class WitnessListSchema {
  @ApiProperty({ type: () => [WitnessSchema] })
  items!: WitnessSchema[];
}

export class CosignatureAcceptedSchema {
  @ApiProperty({ example: 7 })
  size!: number;

  @ApiProperty({ example: 'witness.example/w1' })
  witness!: string;

  @ApiProperty({ example: 1648627200, description: 'The cosignature time (seconds since the epoch)' })
  timestamp!: number;
}
