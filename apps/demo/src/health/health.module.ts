import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { DemoConfig } from '../config/demo.config';
import { DEMO_CONFIG } from '../gatekeeper/demo.constants';
import { HealthController } from './health.controller';
import { StoreHealthIndicator } from './store.health';
import { openStoreProbe, STORE_PROBE, type StoreProbe } from './store.probe';

@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [
    {
      provide: STORE_PROBE,
      useFactory: (config: DemoConfig) => openStoreProbe(config),
      inject: [DEMO_CONFIG],
    },
    StoreHealthIndicator,
  ],
})
export class HealthModule implements OnApplicationShutdown {
  constructor(@Inject(STORE_PROBE) private readonly probe: StoreProbe | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.probe?.close();
  }
}
