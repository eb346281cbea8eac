import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { RequestAuthenticator } from './auth.guard';
import { RATE_LIMITER_PROVIDER, RateLimiter } from './rate-limit';
import { IdempotencyService } from '../ledger/http/idempotency.service';
import { IdempotencyCheck } from '../ledger/http/idempotency.guard';
import { IdempotencyPurger } from '../ledger/http/idempotency-purger';

@Global()
@Module({
  // DiscoveryModule: guardRequests (auth.guard.ts) finds the controllers to give undeclared routes their default rule.
  imports: [DiscoveryModule],
  controllers: [ApiKeysController],
  // The checks run as request hooks (guardRequests in auth.guard.ts, installed by app.factory.ts), in
  // this order: the key first, then its rate limit, then the Idempotency-Key lookup.
  providers: [
    ApiKeysService,
    RequestAuthenticator,
    IdempotencyService,
    IdempotencyPurger, // the API process's background purge of expired Idempotency-Key records
    RATE_LIMITER_PROVIDER,
    IdempotencyCheck,
  ],
  exports: [ApiKeysService, RequestAuthenticator, IdempotencyService, IdempotencyCheck, RateLimiter],
})
export class AuthModule {}
