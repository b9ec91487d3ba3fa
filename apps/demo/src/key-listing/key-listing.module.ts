import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { DemoConfig } from '../config/demo.config';
import { DEMO_CONFIG } from '../gatekeeper/demo.constants';
import { KeyListing } from './key-listing';
import { KEY_OWNERS, keyOwnersOf, type KeyOwners } from './key-owners';

/** Paged key listing for the admin routes and the keys CLI. */
@Module({
  providers: [
    KeyListing,
    {
      provide: KEY_OWNERS,
      useFactory: (config: DemoConfig) => keyOwnersOf(config),
      inject: [DEMO_CONFIG],
    },
  ],
  exports: [KeyListing],
})
export class KeyListingModule implements OnApplicationShutdown {
  constructor(@Inject(KEY_OWNERS) private readonly owners: KeyOwners | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.owners?.close();
  }
}
