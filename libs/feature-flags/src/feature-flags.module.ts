import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  optionalHealthIndicator,
  TurnClock,
  type Clock,
  type StorageHandle,
} from '@gatekeeper/common';
import { FeatureFlagClient } from './feature-flag.client';
import { FeatureFlagGuard, featureFlagGuardProvider } from './feature-flag.guard';
import { FeatureFlagParamPipe } from './feature-flag-param.pipe';
import { FlagScheduler } from './flag-scheduler';
import {
  FEATURE_FLAG_STORAGE,
  FEATURE_FLAG_STORAGE_HANDLE,
  FEATURE_FLAGS_CLOCK,
} from './feature-flags.constants';
import { FeatureFlagsHealthIndicator } from './feature-flags.health';
import {
  ConfigurableFeatureFlagsModule,
  FEATURE_FLAGS_MODULE_OPTIONS,
} from './feature-flags.module-definition';
import type { FeatureFlagsModuleOptions } from './feature-flags.options';
import type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';
import { createFeatureFlagStorage } from './storage/storage.factory';

/** The health indicator exists only when the optional @nestjs/terminus peer is installed. */
const health = optionalHealthIndicator(FeatureFlagsHealthIndicator);

/**
 * Feature flags for a Nest application:
 * `FeatureFlagsModule.forRoot({ backend: 'redis', redisUrl })` or `forRootAsync({ useFactory })`.
 * Provides `FeatureFlagClient`, the storage (`@InjectFeatureFlagStorage()`) and what
 * `@FeatureFlag()` and the flag parameter decorators need, and with Terminus installed
 * `FeatureFlagsHealthIndicator`.
 */
@Module({
  providers: [
    // Read once per event-loop turn; this module's own, so tests can override it.
    { provide: FEATURE_FLAGS_CLOCK, useFactory: () => new TurnClock() },
    {
      provide: FEATURE_FLAG_STORAGE_HANDLE,
      useFactory: createFeatureFlagStorage,
      inject: [FEATURE_FLAGS_MODULE_OPTIONS, ModuleRef, FEATURE_FLAGS_CLOCK],
    },
    {
      provide: FEATURE_FLAG_STORAGE,
      useFactory: (handle: StorageHandle<FeatureFlagStorage>): FeatureFlagStorage => handle.storage,
      inject: [FEATURE_FLAG_STORAGE_HANDLE],
    },
    {
      provide: FeatureFlagClient,
      useFactory: (storage: FeatureFlagStorage, options: FeatureFlagsModuleOptions, clock: Clock) =>
        new FeatureFlagClient({
          storage,
          defaultContext: options.defaultContext,
          metrics: options.metrics,
          now: () => clock.now(),
        }),
      inject: [FEATURE_FLAG_STORAGE, FEATURE_FLAGS_MODULE_OPTIONS, FEATURE_FLAGS_CLOCK],
    },
    FlagScheduler,
    featureFlagGuardProvider(),
    FeatureFlagParamPipe,
    ...health.providers,
  ],
  // The options are exported because guards and pipes are instantiated in the importing module.
  exports: [
    FEATURE_FLAG_STORAGE,
    FEATURE_FLAGS_CLOCK,
    FEATURE_FLAGS_MODULE_OPTIONS,
    FeatureFlagClient,
    FeatureFlagGuard,
    FeatureFlagParamPipe,
    FlagScheduler,
    ...health.exports,
  ],
})
export class FeatureFlagsModule
  extends ConfigurableFeatureFlagsModule
  implements OnApplicationShutdown
{
  constructor(
    @Inject(FEATURE_FLAG_STORAGE_HANDLE)
    private readonly storageHandle: StorageHandle<FeatureFlagStorage>,
  ) {
    super();
  }

  /** Closes what this module created; a storage, client or DataSource you passed in is yours. */
  async onApplicationShutdown(): Promise<void> {
    await this.storageHandle.close();
  }
}
