import { DEFAULT_API_AUTH_REDIS_PREFIX, type ApiAuthModuleOptions } from '@gatekeeper/api-auth';
import {
  DEFAULT_FEATURE_FLAGS_REDIS_PREFIX,
  type FeatureFlagsModuleOptions,
} from '@gatekeeper/feature-flags';
import type { DemoConfig } from '../config/demo.config';
import { apiKeyContextResolver } from './api-key.context';

type StorageOptions = Pick<
  FeatureFlagsModuleOptions & ApiAuthModuleOptions,
  'backend' | 'connectionString' | 'redisUrl' | 'redisPrefix'
>;

/** Both modules read the same store; in Redis each keeps its own namespace. */
function storageOptions(config: DemoConfig, redisPrefix: string): StorageOptions {
  switch (config.backend) {
    case 'memory':
      return { backend: 'memory' };
    case 'redis':
      return {
        backend: 'redis',
        redisUrl: config.redisUrl,
        redisPrefix: `${config.redisPrefix}${redisPrefix}`,
      };
    default:
      return { backend: 'database', connectionString: config.databaseUrl };
  }
}

export function featureFlagsOptions(config: DemoConfig): FeatureFlagsModuleOptions {
  return {
    ...storageOptions(config, DEFAULT_FEATURE_FLAGS_REDIS_PREFIX),
    contextResolver: apiKeyContextResolver,
    metrics: true,
  };
}

export function apiAuthOptions(config: DemoConfig): ApiAuthModuleOptions {
  return {
    ...storageOptions(config, DEFAULT_API_AUTH_REDIS_PREFIX),
    ...(config.pepper === undefined ? {} : { pepper: config.pepper }),
    metrics: true,
  };
}
