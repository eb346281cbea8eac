import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { IdempotencyService } from '../common/idempotency.service';

@Global()
@Module({
  controllers: [ApiKeysController],
  providers: [ApiKeysService, IdempotencyService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [ApiKeysService, IdempotencyService],
})
export class AuthModule {}
