import { ApiProperty } from '@nestjs/swagger';
import { EX } from '../common/http/examples';

/** The answer to every evidence write (submit, report, retract): EvidenceService's EvidenceAccepted is this type. */
export class EvidenceAcceptedSchema {
  @ApiProperty({ format: 'uuid', example: EX.evidenceId })
  evidenceId!: string;

  @ApiProperty({ example: 2, description: 'Ledger position of the event written' })
  position!: number;
}
