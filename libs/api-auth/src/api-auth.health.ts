import { StorageHealthIndicator, type StorageHealthCheckOptions } from '@gatekeeper/common';
import { Injectable } from '@nestjs/common';
import { DEFAULT_API_AUTH_HEALTH_KEY } from './api-auth.constants';
import type { ApiKeyStorage } from './storage/api-key-storage.interface';
import { InjectApiKeyStorage } from './storage/api-key-storage.decorator';

/** `timeout`: milliseconds to wait for the storage before reporting down. Default 1000. */
export type ApiAuthHealthCheckOptions = StorageHealthCheckOptions;

/**
 * Terminus health indicator for the API-key storage:
 * `() => this.apiAuthHealth.isHealthy('api_auth')` in a `HealthCheckService.check([...])` list.
 * Reports "down" instead of throwing, so Terminus answers 503 with the reason, not 500.
 * Available when `@nestjs/terminus` is installed.
 */
@Injectable()
export class ApiAuthHealthIndicator extends StorageHealthIndicator<'api_auth'> {
  constructor(@InjectApiKeyStorage() private readonly storage: ApiKeyStorage) {
    super(DEFAULT_API_AUTH_HEALTH_KEY);
  }

  protected async probe(): Promise<Record<string, never> | false> {
    return (await this.storage.healthCheck()) ? {} : false;
  }
}
