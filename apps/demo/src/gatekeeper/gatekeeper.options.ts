import { DEFAULT_API_AUTH_REDIS_PREFIX, type ApiAuthModuleOptions } from '@gatekeeper/api-auth';
import {
  DEFAULT_FEATURE_FLAGS_REDIS_PREFIX,
  type FeatureFlagsModuleOptions,
} from '@gatekeeper/feature-flags';
import {
  DEFAULT_ENVIRONMENT,
  DEFAULT_SCHEDULER_INTERVAL,
  type DemoConfig,
} from '../config/demo.config';
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
    // Flags evaluated in process; every flag change goes through this module (or, on Redis, over
    // its pub/sub), so the cache never serves a stale flag. Keys are not cached: the keys CLI
    // writes to the store directly, and a revocation must work at once.
    ...(config.backend === 'memory' ? {} : { localCache: { ttl: 30 } }),
    contextResolver: apiKeyContextResolver,
    // One deployment of the demo is one environment: every evaluation sees the flags as set there.
    defaultContext: { environment: config.environment ?? DEFAULT_ENVIRONMENT },
    scheduler: { interval: config.schedulerInterval ?? DEFAULT_SCHEDULER_INTERVAL },
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
