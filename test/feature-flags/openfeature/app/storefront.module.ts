// storefront.module.ts
import { Module } from '@nestjs/common';
import { OpenFeatureModule } from '@openfeature/nestjs-sdk';
import {
  defaultContextResolver,
  FeatureFlagClient,
  FeatureFlagsModule,
  GatekeeperProvider,
  MemoryFeatureFlagStorage,
  toOpenFeatureContext,
} from '@gatekeeper/feature-flags';
import { StorefrontController } from './storefront.controller';

// OpenFeatureModule.forRoot takes its provider before Nest's DI runs, so the storage is made
// here and shared: both APIs read the same flags (any storage works, e.g. RedisFeatureFlagStorage).
const storage = new MemoryFeatureFlagStorage();

@Module({
  imports: [
    FeatureFlagsModule.forRoot({ storage, isGlobal: true }),
    OpenFeatureModule.forRoot({
      defaultProvider: new GatekeeperProvider(new FeatureFlagClient({ storage })),
      // Each request's context, as @FeatureFlag routes see it (user id, IP, user agent, country).
      contextFactory: (context) =>
        toOpenFeatureContext(defaultContextResolver(context.switchToHttp().getRequest())),
    }),
  ],
  controllers: [StorefrontController],
})
export class StorefrontModule {}
