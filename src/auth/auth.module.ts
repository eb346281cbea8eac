import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard, RequestAuthenticator } from './auth.guard';
import { RATE_LIMITER_PROVIDER, RateLimitGuard, RateLimiter } from './rate-limit';
import { IdempotencyService } from '../ledger/http/idempotency.service';
import { IdempotencyGuard } from '../ledger/http/idempotency.guard';
import { IdempotencyPurger } from '../ledger/http/idempotency-purger';

@Global()
@Module({
  controllers: [ApiKeysController],
  // Guards run in this order: the key first, then its rate limit, then the Idempotency-Key lookup.
  providers: [
    ApiKeysService,
    RequestAuthenticator,
    IdempotencyService,
    IdempotencyPurger, // the API process's background purge of expired Idempotency-Key records
    RATE_LIMITER_PROVIDER,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: IdempotencyGuard },
  ],
  exports: [ApiKeysService, RequestAuthenticator, IdempotencyService, RateLimiter],
})
export class AuthModule {}
