import { Module } from '@nestjs/common';
import { IdempotencyService } from '../ledger/http/idempotency.service';
import { CheckpointSigner } from './checkpoints';
import { TransparencyController } from './http/transparency.controller';
import { TransparencyService } from './transparency.service';

/** Signed checkpoints, proofs, witnesses (docs/transparency.md). API processes only: workers append, they do not sign. */
@Module({
  controllers: [TransparencyController],
  providers: [CheckpointSigner, TransparencyService, IdempotencyService],
  exports: [CheckpointSigner, TransparencyService],
})
export class TransparencyModule {}
