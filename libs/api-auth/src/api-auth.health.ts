import { describeError, TimeoutError, withTimeout } from '@gatekeeper/common';
import { Inject, Injectable } from '@nestjs/common';
// Type-only: @nestjs/terminus is an optional peer; the module provides the service when installed.
import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DEFAULT_API_AUTH_HEALTH_KEY, HEALTH_INDICATOR_SERVICE } from './api-auth.constants';
import type { ApiKeyStorage } from './storage/api-key-storage.interface';
import { InjectApiKeyStorage } from './storage/api-key-storage.decorator';

export interface ApiAuthHealthCheckOptions {
  /** Milliseconds to wait for the storage before reporting down. Default 1000. */
  timeout?: number;
}

const DEFAULT_TIMEOUT_MS = 1000;

/**
 * Terminus health indicator for the API-key storage:
 * `() => this.apiAuthHealth.isHealthy('api_auth')` in a `HealthCheckService.check([...])` list.
 * Reports "down" instead of throwing, so Terminus answers 503 with the reason, not 500.
 * Available when `@nestjs/terminus` is installed.
 */
@Injectable()
export class ApiAuthHealthIndicator {
  constructor(
    @InjectApiKeyStorage() private readonly storage: ApiKeyStorage,
    @Inject(HEALTH_INDICATOR_SERVICE)
    private readonly healthIndicatorService: HealthIndicatorService,
  ) {}

  async isHealthy<const Key extends string = typeof DEFAULT_API_AUTH_HEALTH_KEY>(
    key: Key = DEFAULT_API_AUTH_HEALTH_KEY as Key,
    options: ApiAuthHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.healthIndicatorService.check(key);
    const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    try {
      const healthy = await withTimeout(
        Promise.resolve().then(() => this.storage.healthCheck()),
        timeout,
        'API key storage health check',
      );
      return healthy ? indicator.up() : indicator.down({ reason: 'storage is unreachable' });
    } catch (error) {
      const reason =
        error instanceof TimeoutError
          ? `storage did not answer within ${timeout} ms`
          : `storage health check failed: ${describeError(error)}`;
      return indicator.down({ reason });
    }
  }
}
