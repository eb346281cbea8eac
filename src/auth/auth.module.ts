import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { RATE_LIMITER_PROVIDER, RateLimitGuard, RateLimiter } from './rate-limit';
import { IdempotencyService } from '../ledger/http/idempotency.service';
import { IdempotencyGuard } from '../ledger/http/idempotency.guard';

@Global()
@Module({
  controllers: [ApiKeysController],
  // Guards run in this order: the key first, then its rate limit, then the Idempotency-Key lookup.
  providers: [
    ApiKeysService,
    IdempotencyService,
    RATE_LIMITER_PROVIDER,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: IdempotencyGuard },
  ],
  exports: [ApiKeysService, IdempotencyService, RateLimiter],
})
export class AuthModule {}
