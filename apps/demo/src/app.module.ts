import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AccountModule } from './account/account.module';
import { EnvironmentsAdminModule } from './admin/environments/environments-admin.module';
import { FlagsAdminModule } from './admin/flags/flags-admin.module';
import { KeysAdminModule } from './admin/keys/keys-admin.module';
import { SchedulesAdminModule } from './admin/schedules/schedules-admin.module';
import { SegmentsAdminModule } from './admin/segments/segments-admin.module';
import { CatalogModule } from './catalog/catalog.module';
import { LibraryErrorsFilter } from './common/library-errors.filter';
import { createValidationPipe } from './common/validation.pipe';
import type { DemoConfig } from './config/demo.config';
import { GatekeeperModule } from './gatekeeper/gatekeeper.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { OrdersModule } from './orders/orders.module';
import { SeedModule } from './seed/seed.module';

/** The demo service; `AppModule.forRoot(loadDemoConfig())` in main.ts, any config in tests. */
@Module({})
export class AppModule {
  static forRoot(config: DemoConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        GatekeeperModule.forRoot(config),
        HealthModule,
        MetricsModule,
        CatalogModule,
        OrdersModule,
        AccountModule,
        FlagsAdminModule,
        SegmentsAdminModule,
        EnvironmentsAdminModule,
        SchedulesAdminModule,
        KeysAdminModule,
        SeedModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: LibraryErrorsFilter },
      ],
    };
  }
}
