import { ApiAuthModule } from '@gatekeeper/api-auth';
import { FeatureFlagsModule } from '@gatekeeper/feature-flags';
import { type DynamicModule, Module } from '@nestjs/common';
import type { DemoConfig } from '../config/demo.config';
import { DEMO_CONFIG } from './demo.constants';
import { apiAuthOptions, featureFlagsOptions } from './gatekeeper.options';

/**
 * Both Gatekeeper modules on the configured store, registered globally: the HTTP app and the
 * keys CLI share this wiring, so they always read and write the same flags and keys.
 */
@Module({})
export class GatekeeperModule {
  static forRoot(
    config: DemoConfig,
    { createTables = true, runScheduler = true } = {},
  ): DynamicModule {
    // `createTables` only means something to the SQL backends (the others refuse the option).
    const tables =
      config.backend === 'redis' || config.backend === 'memory' ? {} : { createTables };
    return {
      module: GatekeeperModule,
      global: true,
      imports: [
        FeatureFlagsModule.forRoot({
          ...featureFlagsOptions(config),
          ...tables,
          ...(runScheduler ? {} : { scheduler: { enabled: false } }),
          isGlobal: true,
        }),
        ApiAuthModule.forRoot({ ...apiAuthOptions(config), ...tables, isGlobal: true }),
      ],
      providers: [{ provide: DEMO_CONFIG, useValue: config }],
      exports: [DEMO_CONFIG],
    };
  }
}
