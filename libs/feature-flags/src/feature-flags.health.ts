import { Inject, Injectable } from '@nestjs/common';
// Type-only: @nestjs/terminus is an optional peer; FeatureFlagsModule provides the service when installed.
import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { describeError, withTimeout } from '@gatekeeper/common';
import {
  DEFAULT_FEATURE_FLAGS_HEALTH_KEY,
  DEFAULT_HEALTH_TIMEOUT_MS,
  FEATURE_FLAGS_HEALTH_INDICATOR_SERVICE,
} from './feature-flags.constants';
import { InjectFeatureFlagStorage } from './feature-flag.decorator';
import type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';

export interface FeatureFlagsHealthCheckOptions {
  /** A storage slower than this is reported down. Default 1000 ms. */
  timeout?: number;
}

/**
 * Terminus health indicator for the flag storage: `up` with the number of active flags, `down`
 * with a reason when the storage fails or is slower than the timeout. Never throws, so Terminus
 * answers 503 rather than 500. `FeatureFlagsModule` provides and exports it when
 * `@nestjs/terminus` is installed.
 */
@Injectable()
export class FeatureFlagsHealthIndicator {
  constructor(
    @InjectFeatureFlagStorage() private readonly storage: FeatureFlagStorage,
    @Inject(FEATURE_FLAGS_HEALTH_INDICATOR_SERVICE)
    private readonly healthIndicatorService: HealthIndicatorService,
  ) {}

  async isHealthy<const Key extends string = typeof DEFAULT_FEATURE_FLAGS_HEALTH_KEY>(
    key: Key = DEFAULT_FEATURE_FLAGS_HEALTH_KEY as Key,
    options: FeatureFlagsHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.healthIndicatorService.check(key);
    const timeout = options.timeout ?? DEFAULT_HEALTH_TIMEOUT_MS;
    try {
      const activeFlags = await withTimeout(this.probe(), timeout, 'feature flag storage');
      if (activeFlags === null) return indicator.down({ reason: 'storage health check failed' });
      return indicator.up({ activeFlags });
    } catch (error) {
      return indicator.down({ reason: describeError(error) });
    }
  }

  /** The number of active flags, or `null` when the storage reports itself unhealthy. */
  private async probe(): Promise<number | null> {
    if (!(await this.storage.healthCheck())) return null;
    return (await this.storage.getAllActiveFlags()).length;
  }
}
