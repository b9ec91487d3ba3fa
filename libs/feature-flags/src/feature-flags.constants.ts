// Tokens are strings rather than symbols so two copies of the package (source and dist) agree.

/** Injection token for the configured `FeatureFlagStorage`; prefer `@InjectFeatureFlagStorage()`. */
export const FEATURE_FLAG_STORAGE = 'FEATURE_FLAG_STORAGE';

/** Internal: the storage plus whether the module created it (and so must close it). */
export const FEATURE_FLAG_STORAGE_HANDLE = 'FEATURE_FLAG_STORAGE_HANDLE';

/**
 * Internal: Terminus' HealthIndicatorService, provided by FeatureFlagsModule only when the optional
 * peer is installed. The name is what Nest prints when it cannot be resolved.
 */
export const FEATURE_FLAGS_HEALTH_INDICATOR_SERVICE =
  'HealthIndicatorService (install @nestjs/terminus to use FeatureFlagsHealthIndicator)';

/** Metadata key written by `@FeatureFlag()`. */
export const FEATURE_FLAG_METADATA = 'gatekeeper:feature-flag';

/** The `tablePrefix` default. */
export const DEFAULT_FEATURE_FLAGS_TABLE_PREFIX = 'ff_';
/** The `redisPrefix` default, litestar-flags' own. */
export const DEFAULT_FEATURE_FLAGS_REDIS_PREFIX = 'feature_flags:';
/** The key `FeatureFlagsHealthIndicator.isHealthy()` reports under by default. */
export const DEFAULT_FEATURE_FLAGS_HEALTH_KEY = 'feature_flags';
/** Internal: how long the health indicator waits for the storage. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 1000;
