import {
  optionalHealthIndicator,
  TurnClock,
  type Clock,
  type StorageHandle,
} from '@gatekeeper/common';
import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { systemClock, type ApiAuthClock } from './api-auth.clock';
import { API_AUTH_CLOCK, API_KEY_STORAGE, API_KEY_STORAGE_HANDLE } from './api-auth.constants';
import { ApiAuthHealthIndicator } from './api-auth.health';
import { ApiAuthConfigurableModule, API_AUTH_MODULE_OPTIONS } from './api-auth.module-definition';
import { type ApiAuthModuleOptions, resolveApiAuthOptions } from './api-auth.options';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyService } from './api-key.service';
import type { ApiKeyStorage } from './storage/api-key-storage.interface';
import { createApiKeyStorage } from './storage/storage.factory';

/**
 * What the local cache ages entries by: its own `TurnClock` (the time read once per event-loop
 * turn, cheaper than a `Date` per lookup) unless `API_AUTH_CLOCK` was overridden, in which case
 * that clock — so one override moves key expiry and cache ttls together.
 */
function cacheClock(clock: ApiAuthClock): Clock {
  return clock === systemClock ? new TurnClock() : { now: () => clock.now().getTime() };
}

/** The health indicator exists only when the optional @nestjs/terminus peer is installed. */
const health = optionalHealthIndicator(ApiAuthHealthIndicator);

/**
 * API-key authentication: `ApiAuthModule.forRoot({ keyPrefix: 'sk_' })`.
 * Provides and exports `ApiKeyService`, `ApiKeyGuard`, the `API_KEY_STORAGE` token and, with
 * Terminus installed, `ApiAuthHealthIndicator`.
 */
@Module({
  providers: [
    {
      provide: API_KEY_STORAGE_HANDLE,
      useFactory: (options: ApiAuthModuleOptions, moduleRef: ModuleRef, clock: ApiAuthClock) => {
        // Every option, not only the storage's, fails startup before any connection opens.
        resolveApiAuthOptions(options);
        return createApiKeyStorage(options, moduleRef, cacheClock(clock));
      },
      inject: [API_AUTH_MODULE_OPTIONS, ModuleRef, API_AUTH_CLOCK],
    },
    {
      provide: API_KEY_STORAGE,
      useFactory: (handle: StorageHandle<ApiKeyStorage>) => handle.storage,
      inject: [API_KEY_STORAGE_HANDLE],
    },
    { provide: API_AUTH_CLOCK, useValue: systemClock },
    ApiKeyService,
    ApiKeyGuard,
    ...health.providers,
  ],
  // The options are exported because guards are instantiated in the importing module.
  exports: [
    API_AUTH_MODULE_OPTIONS,
    API_KEY_STORAGE,
    API_AUTH_CLOCK,
    ApiKeyService,
    ApiKeyGuard,
    ...health.exports,
  ],
})
export class ApiAuthModule extends ApiAuthConfigurableModule implements OnApplicationShutdown {
  constructor(
    @Inject(API_KEY_STORAGE_HANDLE) private readonly storageHandle: StorageHandle<ApiKeyStorage>,
  ) {
    super();
  }

  /** Closes what the module created; storages and clients passed in by the user stay open. */
  async onApplicationShutdown(): Promise<void> {
    await this.storageHandle.close();
  }
}
