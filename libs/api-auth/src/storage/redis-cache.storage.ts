import {
  assertClusterPrefix,
  assertPositiveSeconds,
  assertTimeout,
  describeError,
  GatekeeperConfigError,
  redisPrefixFor,
  withTimeout,
  type ReplicaAcknowledgement,
} from '@gatekeeper/common';
import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { DEFAULT_API_AUTH_REDIS_PREFIX } from '../api-auth.constants';
import { touchApiKey } from '../api-key.usage';
import type { ApiKey } from '../models/api-key.model';
import type { ApiKeyStorage } from './api-key-storage.interface';
import { deserializeApiKey, serializeApiKey } from './redis.serialization';
import { FILL_SCRIPT, INVALIDATE_SCRIPT } from './redis-cache.scripts';
import { ReplicaConfirmations } from './replica-confirmations';

export interface RedisCacheApiKeyStorageOptions {
  /** The Redis (or Redis Cluster) holding the cache. Yours: `close()` never quits it. */
  redis: Redis | Cluster;
  /** Where keys really live (database, Redis, custom…). Yours: `close()` leaves it open. */
  primary: ApiKeyStorage;
  /** Seconds a key stays cached. */
  ttl: number;
  /** Seconds an unknown key hash stays cached as unknown. Default 5, never more than `ttl`. */
  negativeTtl?: number;
  /**
   * Key namespace. Default `'api_key:cache:'`; on a Redis Cluster `'{api_key}:cache:'`, and a
   * prefix given there must contain a hash tag (the scripts touch several keys of one slot).
   */
  prefix?: string;
  /** Milliseconds to wait for Redis before answering from the primary instead. Default 500. */
  timeoutMs?: number;
  /**
   * Milliseconds `update()` (revocations included) and `delete()` wait for a replica of the Redis
   * to confirm the cache invalidation, when the Redis primary has replicas. Default 1000.
   */
  replicaTimeoutMs?: number;
}

const DEFAULT_NEGATIVE_TTL_SECONDS = 5;
const DEFAULT_TIMEOUT_MS = 500;
const DEFAULT_REPLICA_TIMEOUT_MS = 1000;
/** Invalidations remembered while Redis is away; beyond this the whole cache is distrusted. */
const MAX_PENDING_INVALIDATIONS = 10_000;
/** Cached value meaning "no key has this hash". */
const UNKNOWN_KEY = '';
const BYPASS = Symbol('bypass');

interface Invalidation {
  keyHash?: string;
  id?: string;
}

/**
 * Cache-aside in Redis in front of any primary storage, for the per-request `getByHash`.
 *
 * Guarantees:
 * - update, revoke, touch and delete write the primary first, then invalidate the Redis entry, so
 *   the next lookup — from any instance sharing the Redis — reads the primary. A reader that
 *   fetched the old value just before the write cannot cache it afterwards: entries are filled
 *   only if the hash's generation, bumped by every invalidation, is unchanged.
 * - Unknown hashes are cached as unknown for `negativeTtl` seconds: repeating a bad key does not
 *   reach the primary. `create()` clears that at once.
 * - If Redis fails, lookups go to the primary (logged once per outage) and invalidations are
 *   remembered; when Redis answers again they are applied before the cache is read again.
 *   Another instance that can still reach Redis may serve a key this instance changed during
 *   its outage for at most `ttl` seconds.
 * - When the Redis primary has replicas, `update` (so `revoke`) and `delete` resolve only once one
 *   confirmed the invalidation (`ApiKeyReplicationError` otherwise): a failover cannot bring the
 *   old entry back.
 * - `lastUsedAt` in a cached copy may lag; it is advisory.
 *
 * `getById`, `listByOwner` and `healthCheck` go straight to the primary: auth works without
 * Redis, so the cache's health is not the storage's.
 */
export class RedisCacheApiKeyStorage implements ApiKeyStorage {
  private readonly logger = new Logger(RedisCacheApiKeyStorage.name);
  private readonly redis: Redis | Cluster;
  private readonly primary: ApiKeyStorage;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly generationTtlMs: number;
  private readonly timeoutMs: number;
  /** Ids whose last invalidation no replica confirmed: a retry confirms them first. */
  private readonly replicas: ReplicaConfirmations;
  private reachable = true;
  private pending: Invalidation[] = [];
  private pendingOverflowed = false;
  /** After losing invalidations, cached entries are not read until all older ones have expired. */
  private distrustUntil = 0;

  constructor(options: RedisCacheApiKeyStorageOptions) {
    const { redis, primary, ttl } = options ?? ({} as RedisCacheApiKeyStorageOptions);
    if (!redis) throw new GatekeeperConfigError('RedisCacheApiKeyStorage needs a redis client');
    if (!primary)
      throw new GatekeeperConfigError('RedisCacheApiKeyStorage needs a primary storage');
    const negativeTtl = options.negativeTtl ?? DEFAULT_NEGATIVE_TTL_SECONDS;
    assertPositiveSeconds('ttl', ttl);
    assertPositiveSeconds('negativeTtl', negativeTtl);
    this.redis = redis;
    this.primary = primary;
    this.prefix =
      options.prefix ?? `${redisPrefixFor(redis, undefined, DEFAULT_API_AUTH_REDIS_PREFIX)}cache:`;
    assertClusterPrefix(redis, this.prefix, 'prefix');
    this.ttlMs = Math.max(1, Math.round(ttl * 1000));
    this.negativeTtlMs = Math.max(1, Math.round(Math.min(negativeTtl, ttl) * 1000));
    // A generation must outlive any reader between its read and its fill; expiring sooner could
    // let a reset counter match again.
    this.generationTtlMs = Math.max(2 * this.ttlMs, 60_000);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    assertTimeout(options.replicaTimeoutMs, 'replicaTimeoutMs');
    this.replicas = new ReplicaConfirmations(
      redis,
      options.replicaTimeoutMs ?? DEFAULT_REPLICA_TIMEOUT_MS,
    );
  }

  async getByHash(keyHash: string): Promise<ApiKey | null> {
    const entryKey = this.entryKey(keyHash);
    const generationKey = this.generationKey(keyHash);
    const cached =
      Date.now() < this.distrustUntil
        ? BYPASS
        : await this.useCache(() => this.redis.mget(entryKey, generationKey));
    if (cached === BYPASS) return this.primary.getByHash(keyHash);

    const [entry, generation] = cached;
    if (entry !== null) return entry === UNKNOWN_KEY ? null : deserializeApiKey(entry);

    const apiKey = await this.primary.getByHash(keyHash);
    await this.useCache(() =>
      apiKey
        ? FILL_SCRIPT.run(
            this.redis,
            [entryKey, generationKey, this.idKey(apiKey.id)],
            [generation ?? '', serializeApiKey(apiKey), this.ttlMs, keyHash],
          )
        : FILL_SCRIPT.run(
            this.redis,
            [entryKey, generationKey],
            [generation ?? '', UNKNOWN_KEY, this.negativeTtlMs, keyHash],
          ),
    );
    return apiKey;
  }

  async getById(id: string): Promise<ApiKey | null> {
    const apiKey = await this.primary.getById(id);
    // A retried revoke() reads the key first and stops there when it is revoked: that answer must
    // not come before a replica has the invalidation.
    if (this.replicas.isPending(id))
      await this.invalidateReplicated({ keyHash: apiKey?.keyHash, id });
    return apiKey;
  }

  async create(apiKey: ApiKey): Promise<ApiKey> {
    const created = await this.primary.create(apiKey);
    // The hash may be cached as unknown (someone tried it before it existed).
    await this.invalidate({ keyHash: created.keyHash });
    return created;
  }

  update(apiKey: ApiKey): Promise<ApiKey> {
    const { keyHash, id } = apiKey;
    return this.changing({ keyHash, id }, this.primary.update(apiKey));
  }

  async touch(id: string, lastUsedAt: Date): Promise<void> {
    await touchApiKey(this.primary, id, lastUsedAt);
    await this.invalidate({ id });
  }

  async delete(id: string): Promise<boolean> {
    const existing = await this.primary.getById(id);
    return this.changing({ keyHash: existing?.keyHash, id }, this.primary.delete(id));
  }

  listByOwner(ownerId: string): AsyncIterable<ApiKey> {
    return this.primary.listByOwner(ownerId);
  }

  healthCheck(): Promise<boolean> {
    return this.primary.healthCheck();
  }

  /** Applies invalidations still pending from an outage, if Redis answers. Closes nothing. */
  async close(): Promise<void> {
    if (this.pending.length > 0) await this.useCache(async () => undefined);
  }

  /**
   * Invalidates now, or remembers it for when Redis is back. Never throws.
   * @returns whether it was applied now.
   */
  private async invalidate(invalidation: Invalidation): Promise<boolean> {
    const done = await this.useCache(() => this.runInvalidation(invalidation));
    if (done !== BYPASS) return true;
    this.remember(invalidation);
    return false;
  }

  /**
   * A write of the primary that may take access away, then its invalidation confirmed by a replica.
   * When the write fails the entry is dropped all the same (a failed write may have been applied;
   * the caller has the write's error to retry on, so no confirmation is awaited).
   */
  private async changing<T>(
    invalidation: Invalidation & { id: string },
    write: Promise<T>,
  ): Promise<T> {
    let result: T;
    try {
      result = await write;
    } catch (error) {
      await this.invalidate(invalidation);
      throw error;
    }
    await this.invalidateReplicated(invalidation);
    return result;
  }

  private remember(invalidation: Invalidation): void {
    if (this.pending.length < MAX_PENDING_INVALIDATIONS) this.pending.push(invalidation);
    else this.pendingOverflowed = true;
  }

  /**
   * `invalidate`, confirmed by a replica of the Redis (for changes that take access away): a
   * failover to a replica that missed it would bring the old entry back for every instance.
   * @throws ApiKeyReplicationError when the Redis primary has replicas and none confirmed in time.
   */
  private async invalidateReplicated(invalidation: Invalidation & { id: string }): Promise<void> {
    const { id } = invalidation;
    if (!(await this.invalidate(invalidation))) return;
    let acknowledgement: ReplicaAcknowledgement;
    try {
      acknowledgement = await this.replicas.acknowledge(this.idKey(id));
    } catch {
      // Redis went away meanwhile: applied again once it is back, on whichever primary serves then.
      this.remember(invalidation);
      return;
    }
    this.replicas.settle(id, acknowledgement);
  }

  private async runInvalidation({ keyHash, id }: Invalidation): Promise<void> {
    const idKey = id === undefined ? [] : [this.idKey(id)];
    const keys = keyHash === undefined ? idKey : [this.generationKey(keyHash), ...idKey];
    if (keys.length === 0) return;
    await INVALIDATE_SCRIPT.run(this.redis, keys, [
      this.prefix,
      keyHash ?? '',
      this.generationTtlMs,
    ]);
  }

  /**
   * Runs a cache operation, or returns BYPASS when Redis is unreachable, slow or failing — the
   * caller then uses the primary alone. Invalidations missed during an outage go first.
   */
  private async useCache<T>(operation: () => Promise<T>): Promise<T | typeof BYPASS> {
    // Without this, a client with an offline queue would hold requests until it reconnects.
    if (this.redis.status !== 'ready' && this.redis.status !== 'wait') {
      this.noteOutage(`connection is ${this.redis.status}`);
      return BYPASS;
    }
    try {
      await this.flushPending();
      const result = await withTimeout(operation(), this.timeoutMs, 'Redis cache');
      this.noteRecovery();
      return result;
    } catch (error) {
      this.noteOutage(describeError(error));
      return BYPASS;
    }
  }

  private async flushPending(): Promise<void> {
    if (this.pending.length === 0 && !this.pendingOverflowed) return;
    const batch = this.pending;
    const overflowed = this.pendingOverflowed;
    this.pending = [];
    this.pendingOverflowed = false;
    try {
      // Sent back to back on one connection: one round trip's worth of latency.
      await withTimeout(
        Promise.all(batch.map((invalidation) => this.runInvalidation(invalidation))),
        this.timeoutMs,
        'Redis cache invalidation',
      );
    } catch (error) {
      this.pending = batch.concat(this.pending);
      this.pendingOverflowed ||= overflowed;
      throw error;
    }
    if (overflowed) this.distrustUntil = Date.now() + this.ttlMs;
  }

  private noteOutage(reason: string): void {
    if (!this.reachable) return;
    this.reachable = false;
    this.logger.warn(
      `Redis cache unavailable (${reason}); reading API keys from the primary storage until it is back`,
    );
  }

  private noteRecovery(): void {
    if (this.reachable) return;
    this.reachable = true;
    this.logger.log('Redis cache available again; caching API keys resumed');
  }

  private entryKey(keyHash: string): string {
    return `${this.prefix}hash:${keyHash}`;
  }

  private generationKey(keyHash: string): string {
    return `${this.prefix}gen:${keyHash}`;
  }

  private idKey(id: string): string {
    return `${this.prefix}id:${id}`;
  }
}
