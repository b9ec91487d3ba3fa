import { describeError, withTimeout } from '@gatekeeper/common';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { STORE_PROBE, type StoreProbe } from './store.probe';

const TIMEOUT_MS = 1000;

/** Terminus indicator for the database or Redis server behind both modules. Never throws. */
@Injectable()
export class StoreHealthIndicator {
  constructor(
    @Inject(STORE_PROBE) private readonly probe: StoreProbe | null,
    private readonly healthIndicatorService: HealthIndicatorService,
  ) {}

  /** `false` for the memory backend: there is no server to check. */
  get enabled(): boolean {
    return this.probe !== null;
  }

  async isHealthy(): Promise<HealthIndicatorResult> {
    const probe = this.probe!;
    const indicator = this.healthIndicatorService.check(probe.name);
    try {
      await withTimeout(probe.ping(), TIMEOUT_MS, `${probe.backend} ping`);
      return indicator.up({ backend: probe.backend });
    } catch (error) {
      return indicator.down({ backend: probe.backend, reason: describeError(error) });
    }
  }
}
