import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { optionalHealthProviders } from '@gatekeeper/common';
import { FeatureFlagClient } from './feature-flag.client';
import { FeatureFlagGuard } from './feature-flag.guard';
import { FeatureFlagParamPipe } from './feature-flag-param.pipe';
import {
  FEATURE_FLAG_STORAGE,
  FEATURE_FLAG_STORAGE_HANDLE,
  FEATURE_FLAGS_HEALTH_INDICATOR_SERVICE,
} from './feature-flags.constants';
import { FeatureFlagsHealthIndicator } from './feature-flags.health';
import {
  ConfigurableFeatureFlagsModule,
  FEATURE_FLAGS_MODULE_OPTIONS,
} from './feature-flags.module-definition';
import type { FeatureFlagsModuleOptions } from './feature-flags.options';
import type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';
import { createFeatureFlagStorage, type FeatureFlagStorageHandle } from './storage/storage.factory';

/** The health indicator exists only when the optional @nestjs/terminus peer is installed. */
const health = optionalHealthProviders(
  FEATURE_FLAGS_HEALTH_INDICATOR_SERVICE,
  FeatureFlagsHealthIndicator,
);

/**
 * Feature flags for a Nest application:
 * `FeatureFlagsModule.forRoot({ backend: 'redis', redisUrl })` or `forRootAsync({ useFactory })`.
 * Provides `FeatureFlagClient`, the storage (`@InjectFeatureFlagStorage()`) and what
 * `@FeatureFlag()` and the flag parameter decorators need, and with Terminus installed
 * `FeatureFlagsHealthIndicator`.
 */
@Module({
  providers: [
    {
      provide: FEATURE_FLAG_STORAGE_HANDLE,
      useFactory: createFeatureFlagStorage,
      inject: [FEATURE_FLAGS_MODULE_OPTIONS, ModuleRef],
    },
    {
      provide: FEATURE_FLAG_STORAGE,
      useFactory: (handle: FeatureFlagStorageHandle): FeatureFlagStorage => handle.storage,
      inject: [FEATURE_FLAG_STORAGE_HANDLE],
    },
    {
      provide: FeatureFlagClient,
      useFactory: (storage: FeatureFlagStorage, options: FeatureFlagsModuleOptions) =>
        new FeatureFlagClient({ storage, defaultContext: options.defaultContext }),
      inject: [FEATURE_FLAG_STORAGE, FEATURE_FLAGS_MODULE_OPTIONS],
    },
    FeatureFlagGuard,
    FeatureFlagParamPipe,
    ...health,
  ],
  // The options are exported because guards and pipes are instantiated in the importing module.
  exports: [
    FEATURE_FLAG_STORAGE,
    FEATURE_FLAGS_MODULE_OPTIONS,
    FeatureFlagClient,
    FeatureFlagGuard,
    FeatureFlagParamPipe,
    // The service token too, so the indicator also works when listed in another module's providers.
    ...(health.length > 0
      ? [FEATURE_FLAGS_HEALTH_INDICATOR_SERVICE, FeatureFlagsHealthIndicator]
      : []),
  ],
})
export class FeatureFlagsModule
  extends ConfigurableFeatureFlagsModule
  implements OnApplicationShutdown
{
  constructor(
    @Inject(FEATURE_FLAG_STORAGE_HANDLE) private readonly storageHandle: FeatureFlagStorageHandle,
  ) {
    super();
  }

  /** Closes the storage only if this module created it: a storage instance you passed is yours. */
  async onApplicationShutdown(): Promise<void> {
    if (this.storageHandle.owned) await this.storageHandle.storage.close();
  }
}
