import { type DynamicModule, Module } from '@nestjs/common';
import type { DemoConfig } from '../config/demo.config';
import { GatekeeperModule } from '../gatekeeper/gatekeeper.module';
import { KeyListingModule } from '../key-listing/key-listing.module';

/** The keys CLI: the same storage wiring as the HTTP app, without HTTP, seeding or health. */
@Module({})
export class CliModule {
  static forRoot(config: DemoConfig): DynamicModule {
    return {
      module: CliModule,
      // The CLI creates no tables: a database the server never started on stays untouched. Nor
      // does it apply scheduled changes: that is the running server's job, on its own clock.
      imports: [
        GatekeeperModule.forRoot(config, { createTables: false, runScheduler: false }),
        KeyListingModule,
      ],
    };
  }
}
