import { ApiAuthModule } from '@gatekeeper/api-auth';
import { FeatureFlagsModule } from '@gatekeeper/feature-flags';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CheckoutController } from './checkout.controller.js';
import { FlagsAdminController } from './flags-admin.controller.js';
import { HealthController } from './health.controller.js';
import { MeController } from './me.controller.js';
import { Settings, SettingsModule } from './settings.js';

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
            }
          : { backend: 'memory' as const },
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
            }
          : { backend: 'memory' as const },
    }),
  ],
  controllers: [CheckoutController, FlagsAdminController, MeController, HealthController],
})
export class AppModule {}
