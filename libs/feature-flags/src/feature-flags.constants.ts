// Tokens are strings rather than symbols so two copies of the package (source and dist) agree.

/** Injection token for the configured `FeatureFlagStorage`; prefer `@InjectFeatureFlagStorage()`. */
export const FEATURE_FLAG_STORAGE = 'FEATURE_FLAG_STORAGE';

/**
 * Injection token of the module's `Clock` (epoch milliseconds), which ages the local cache's
 * entries. Override it in tests to expire them without waiting.
 */
export const FEATURE_FLAGS_CLOCK = 'FEATURE_FLAGS_CLOCK';

/** Internal: the storage plus how to release what the module created for it. */
export const FEATURE_FLAG_STORAGE_HANDLE = 'FEATURE_FLAG_STORAGE_HANDLE';

/** Metadata key written by `@FeatureFlag()`. */
export const FEATURE_FLAG_METADATA = 'gatekeeper:feature-flag';

/** The `tablePrefix` default. */
export const DEFAULT_FEATURE_FLAGS_TABLE_PREFIX = 'ff_';
/** The `redisPrefix` default, litestar-flags' own. */
export const DEFAULT_FEATURE_FLAGS_REDIS_PREFIX = 'feature_flags:';
/** The key `FeatureFlagsHealthIndicator.isHealthy()` reports under by default. */
export const DEFAULT_FEATURE_FLAGS_HEALTH_KEY = 'feature_flags';
