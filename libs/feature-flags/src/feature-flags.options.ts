import type { Type } from '@nestjs/common';
import type { LocalCacheOptions } from '@gatekeeper/common';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
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

export interface FeatureFlagsModuleOptions {
  /** Where flags live. Default `'memory'`. Ignored when `storage` is given. */
  backend?: FeatureFlagsBackend;

  // backend: 'database'
  /** `postgres://…`, `mysql://…`, `sqlite:<file>` or `sqlite::memory:`. */
  connectionString?: string;
  /** An initialised TypeORM DataSource to use instead of `connectionString`; you keep ownership. */
  dataSource?: DataSource;
  /** Default `'ff_'`. */
  tablePrefix?: string;
  /** Create the tables at startup when missing. Default `true`. */
  createTables?: boolean;

  // backend: 'redis'
  /** `redis://`, `rediss://` or `redis+sentinel://h1:26379,h2:26379/<master>/<db>`. */
  redisUrl?: string;
  /** An ioredis client to use instead of `redisUrl`; you keep ownership. */
  redis?: Redis;
  /** Default `'feature_flags:'`. */
  redisPrefix?: string;

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
}
