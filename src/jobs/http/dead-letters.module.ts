import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs.module';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersService } from './dead-letters.service';

/** The dead-letter admin routes (API process only; the worker has no HTTP). */
@Module({
  imports: [JobsModule],
  controllers: [DeadLettersController],
  providers: [DeadLettersService],
})
export class DeadLettersModule {}
