import type { Type } from '@nestjs/common';
import {
  assertNoRenamedOptions,
  GatekeeperConfigError,
  validateStorageOptions,
} from '@gatekeeper/common';
import type {
  DatabaseConnectionOptions,
  LocalCacheOptions,
  RedisConnectionOptions,
} from '@gatekeeper/common';
import {
  DEFAULT_FEATURE_FLAGS_REDIS_PREFIX,
  DEFAULT_FEATURE_FLAGS_TABLE_PREFIX,
} from './feature-flags.constants';
import type { FeatureFlagGuard } from './feature-flag.guard';
import type { EvaluationContext } from './models/evaluation.model';
import type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';

export type FeatureFlagsBackend = 'memory' | 'database' | 'redis';

/**
 * Builds the evaluation context of an incoming request. `request` is whatever the HTTP adapter
 * hands over (an Express or Fastify request).
 */
export type ContextResolver = (
  request: any, // eslint-disable-line @typescript-eslint/no-explicit-any -- adapter-specific
) => EvaluationContext | Promise<EvaluationContext>;

/**
 * The connection options come from `DatabaseConnectionOptions` (backend 'database', tables
 * `{tablePrefix}flags` …, default prefix `'ff_'`) and `RedisConnectionOptions` (backend 'redis',
 * and the invalidations of `localCache`; default prefix `'feature_flags:'`).
 */
export interface FeatureFlagsModuleOptions
  extends DatabaseConnectionOptions, RedisConnectionOptions {
  /** Where flags live. Default `'memory'`. Ignored when `storage` is given. */
  backend?: FeatureFlagsBackend;

  /**
   * An in-process LRU cache in front of the 'database' or 'redis' backend (or a custom storage):
   * cached flags are evaluated without I/O and keep being served while the storage is down
   * (reason CACHED / STALE). Writes through the module invalidate every instance over Redis
   * pub/sub — with the redis backend, or with `redisUrl`/`redis` next to the database backend;
   * `ttl` (seconds) bounds staleness otherwise. Off by default.
   */
  localCache?: LocalCacheOptions;

  /**
   * A custom storage: an instance (you keep ownership: the module never closes it) or a class
   * (instantiated with its own dependencies injected, and closed at shutdown). Wins over `backend`.
   */
  storage?: FeatureFlagStorage | Type<FeatureFlagStorage>;

  /** Merged under every evaluation's context (request context and explicit contexts win). */
  defaultContext?: EvaluationContext;
  /**
   * Builds the context for `@FeatureFlag()` and the flag parameter decorators. The default reads
   * `request.user.id`, the client IP, User-Agent and CF-IPCountry / X-Country-Code.
   */
  contextResolver?: ContextResolver;
  /**
   * The guard `@FeatureFlag()` runs: a subclass of `FeatureFlagGuard` whose protected hooks change
   * where the context or the error comes from. Built by the module, its dependencies injected.
   * Default `FeatureFlagGuard`.
   */
  guard?: Type<FeatureFlagGuard>;
  /**
   * Register the Prometheus metrics (`gatekeeper_flag_evaluations_total`, storage durations, cache
   * requests) on prom-client's default registry; prom-client must be installed. Default `false`.
   */
  metrics?: boolean;
  /**
   * OpenTelemetry through `@opentelemetry/api` (it must be installed): a span per database or
   * Redis storage call, and a `feature_flag.evaluation` event on the active span for each
   * `@FeatureFlag()` check. Without a registered SDK nothing is recorded. Default `false`.
   */
  tracing?: boolean;
  /**
   * The scheduler that applies due scheduled changes and rollout phases (each once, however many
   * instances run it). `interval`: seconds between checks, default 10; `enabled: false` leaves
   * them to another service. Default: enabled.
   */
  scheduler?: FlagSchedulerOptions;
}

export interface FlagSchedulerOptions {
  /** Default `true`. */
  enabled?: boolean;
  /** Seconds between two checks for due changes, more than 0. Default 10. */
  interval?: number;
}

/** The scheduler's `interval` default, in seconds. */
export const DEFAULT_SCHEDULER_INTERVAL = 10;

/** Internal: what the shared storage checks and wiring need to know about this module. */
export const FEATURE_FLAGS_STORAGE_SPEC = {
  moduleName: 'FeatureFlagsModule',
  storageInterface: 'FeatureFlagStorage',
  storageMethods: [
    'getFlag',
    'getFlags',
    'getAllActiveFlags',
    'getOverride',
    'createFlag',
    'updateFlag',
    'deleteFlag',
    'createOverride',
    'deleteOverride',
    'healthCheck',
    'close',
  ] satisfies (keyof FeatureFlagStorage)[],
  // With a local cache, a Redis beside another backend carries the invalidations.
  redisReaders: ['localCache'],
  connectionName: 'gatekeeper-feature-flags',
  cacheName: 'feature flags',
  metricsModule: 'feature_flags' as const,
  defaultTablePrefix: DEFAULT_FEATURE_FLAGS_TABLE_PREFIX,
  defaultRedisPrefix: DEFAULT_FEATURE_FLAGS_REDIS_PREFIX,
};

/**
 * Validates the module options once, where the storage is built, so a wrong option fails the
 * boot with a message saying what to change.
 * @throws GatekeeperConfigError naming the option to fix.
 */
export function validateFeatureFlagsOptions(options: FeatureFlagsModuleOptions): void {
  validateStorageOptions(options, FEATURE_FLAGS_STORAGE_SPEC);
  assertNoRenamedOptions(options, { cache: 'localCache' }, '0.2.0');
  if (options.contextResolver !== undefined && typeof options.contextResolver !== 'function') {
    throw new GatekeeperConfigError('contextResolver must be a function (request) => context');
  }
  if (
    options.defaultContext !== undefined &&
    (options.defaultContext === null || typeof options.defaultContext !== 'object')
  ) {
    throw new GatekeeperConfigError('defaultContext must be an EvaluationContext object');
  }
  const scheduler = options.scheduler;
  if (scheduler !== undefined) {
    if (scheduler === null || typeof scheduler !== 'object') {
      throw new GatekeeperConfigError('scheduler must be an object: { enabled?, interval? }');
    }
    if (scheduler.enabled !== undefined && typeof scheduler.enabled !== 'boolean') {
      throw new GatekeeperConfigError('scheduler.enabled must be a boolean');
    }
    const interval = scheduler.interval;
    if (
      interval !== undefined &&
      (typeof interval !== 'number' || !(interval > 0) || interval > 86_400)
    ) {
      throw new GatekeeperConfigError(
        'scheduler.interval must be a number of seconds, more than 0 and at most 86400',
      );
    }
  }
}
