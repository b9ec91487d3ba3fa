import { ApiAuthModule } from '@gatekeeper/api-auth';
import { FeatureFlagsModule } from '@gatekeeper/feature-flags';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { OpenFeatureModule } from '@openfeature/nestjs-sdk';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { CheckoutController } from './checkout.controller.js';
import { FlagsAdminController } from './flags-admin.controller.js';
import { HealthController } from './health.controller.js';
import { MeController } from './me.controller.js';
import { Settings, SettingsModule } from './settings.js';
import { SpansController } from './spans.controller.js';
import { StoreController } from './store.controller.js';

@Module({
  imports: [
    TerminusModule,
    FeatureFlagsModule.forRootAsync({
      imports: [SettingsModule],
      inject: [Settings],
      useFactory: (settings: Settings) =>
        settings.flagsBackend === 'redis'
          ? {
              backend: 'redis' as const,
              redisUrl: settings.redisUrl,
              redisPrefix: `${settings.redisPrefix}flags:`,
              metrics: true,
              tracing: true,
            }
          : { backend: 'memory' as const, metrics: true, tracing: true },
    }),
    ApiAuthModule.forRootAsync({
      imports: [SettingsModule],
      inject: [Settings],
      useFactory: (settings: Settings) =>
        settings.authBackend === 'redis'
          ? {
              backend: 'redis' as const,
              redisUrl: settings.redisUrl,
              redisPrefix: `${settings.redisPrefix}keys:`,
              metrics: true,
              tracing: true,
            }
          : { backend: 'memory' as const, metrics: true, tracing: true },
    }),
    // Its provider is the module's own FeatureFlagClient, set once the app exists (main.ts).
    OpenFeatureModule.forRoot({}),
    // GET /metrics from prom-client's default registry, where `metrics: true` registers ours.
    PrometheusModule.register(),
  ],
  controllers: [
    CheckoutController,
    FlagsAdminController,
    MeController,
    HealthController,
    StoreController,
    SpansController,
  ],
})
export class AppModule {}
