import { optionalHealthProviders } from '@gatekeeper/common';
import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { systemClock } from './api-auth.clock';
import {
  API_AUTH_CLOCK,
  API_KEY_STORAGE,
  API_KEY_STORAGE_HANDLE,
  HEALTH_INDICATOR_SERVICE,
} from './api-auth.constants';
import { ApiAuthHealthIndicator } from './api-auth.health';
import { ApiAuthConfigurableModule, API_AUTH_MODULE_OPTIONS } from './api-auth.module-definition';
import { type ApiAuthModuleOptions, resolveApiAuthOptions } from './api-auth.options';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyService } from './api-key.service';
import { type ApiKeyStorageHandle, createApiKeyStorage } from './storage/storage.factory';

/** The health indicator exists only when the optional @nestjs/terminus peer is installed. */
const health = optionalHealthProviders(HEALTH_INDICATOR_SERVICE, ApiAuthHealthIndicator);

/**
 * API-key authentication: `ApiAuthModule.forRoot({ keyPrefix: 'sk_' })`.
 * Provides and exports `ApiKeyService`, `ApiKeyGuard`, the `API_KEY_STORAGE` token and, with
 * Terminus installed, `ApiAuthHealthIndicator`.
 */
@Module({
  providers: [
    {
      provide: API_KEY_STORAGE_HANDLE,
      useFactory: (options: ApiAuthModuleOptions, moduleRef: ModuleRef) => {
        // Every option, not only the storage's, fails startup before any connection opens.
        resolveApiAuthOptions(options);
        return createApiKeyStorage(options, moduleRef);
      },
      inject: [API_AUTH_MODULE_OPTIONS, ModuleRef],
    },
    {
      provide: API_KEY_STORAGE,
      useFactory: (handle: ApiKeyStorageHandle) => handle.storage,
      inject: [API_KEY_STORAGE_HANDLE],
    },
    { provide: API_AUTH_CLOCK, useValue: systemClock },
    ApiKeyService,
    ApiKeyGuard,
    ...health,
  ],
  // The options are exported because guards are instantiated in the importing module.
  exports: [
    API_AUTH_MODULE_OPTIONS,
    API_KEY_STORAGE,
    API_AUTH_CLOCK,
    ApiKeyService,
    ApiKeyGuard,
    ...(health.length > 0 ? [ApiAuthHealthIndicator] : []),
  ],
})
export class ApiAuthModule extends ApiAuthConfigurableModule implements OnApplicationShutdown {
  constructor(@Inject(API_KEY_STORAGE_HANDLE) private readonly storageHandle: ApiKeyStorageHandle) {
    super();
  }

  /** Closes what the module created; storages and clients passed in by the user stay open. */
  async onApplicationShutdown(): Promise<void> {
    await this.storageHandle.close();
  }
}
