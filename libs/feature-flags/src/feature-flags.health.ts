import { Injectable } from '@nestjs/common';
import { StorageHealthIndicator, type StorageHealthCheckOptions } from '@gatekeeper/common';
import { DEFAULT_FEATURE_FLAGS_HEALTH_KEY } from './feature-flags.constants';
import { InjectFeatureFlagStorage } from './feature-flag.decorator';
import type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';

/** `timeout`: a storage slower than this is reported down. Default 1000 ms. */
export type FeatureFlagsHealthCheckOptions = StorageHealthCheckOptions;

/**
 * Terminus health indicator for the flag storage: `isHealthy(key = 'feature_flags')` is `up`
 * with the number of active flags, `down` with a reason when the storage fails or is slower than
 * the timeout. Never throws, so Terminus answers 503 rather than 500. `FeatureFlagsModule`
 * provides and exports it when `@nestjs/terminus` is installed.
 */
@Injectable()
export class FeatureFlagsHealthIndicator extends StorageHealthIndicator<'feature_flags'> {
  constructor(@InjectFeatureFlagStorage() private readonly storage: FeatureFlagStorage) {
    super(DEFAULT_FEATURE_FLAGS_HEALTH_KEY);
  }

  protected async probe(): Promise<{ activeFlags: number } | false> {
    if (!(await this.storage.healthCheck())) return false;
    return { activeFlags: (await this.storage.getAllActiveFlags()).length };
  }
}
