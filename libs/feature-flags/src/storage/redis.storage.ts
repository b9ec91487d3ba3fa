import { sortByName } from '../models/ordering';
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import {
  assertClusterPrefix,
  connectRedisClient,
  quitRedis,
  redisPrefixFor,
} from '@gatekeeper/common';
import { DEFAULT_FEATURE_FLAGS_REDIS_PREFIX } from '../feature-flags.constants';
import {
  buildFlag,
  isStorableKey,
  FLAG_LIMITS,
  type CreateFlagInput,
  type FeatureFlag,
  type UpdateFlagInput,
} from '../models/feature-flag.model';
import {
  buildSegment,
  type CreateSegmentInput,
  type Segment,
  type UpdateSegmentInput,
} from '../models/segment.model';
import { scripts } from './redis.scripts';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import { RedisOverrideStorage } from './redis-overrides';
import { parseFlag, parseSegment, serializeFlag, serializeSegment } from './redis.codec';
import {
  FlagAlreadyExistsError,
  FlagNotFoundError,
  FlagVersionConflictError,
  InvalidFlagError,
  SegmentAlreadyExistsError,
  SegmentNotFoundError,
} from './storage.errors';

/** Options of `new RedisFeatureFlagStorage(redis, options)`. */
export interface RedisFeatureFlagStorageOptions {
  /**
   * Prepended to every key. Default `'feature_flags:'`; on a Redis Cluster `'{feature_flags}:'`,
   * and a prefix given there must contain a hash tag (every key of the storage then lives in one
   * slot, which the multi-key scripts need).
   */
  prefix?: string;
}

/** Options of `RedisFeatureFlagStorage.create()`. */
export interface CreateRedisFeatureFlagStorageOptions extends RedisFeatureFlagStorageOptions {
  /**
   * `redis://[user:password@]host[:port][/db]`, `rediss://…`,
   * `redis+sentinel://h1:26379,h2:26379/<master>[/<db>]` or `redis+cluster://h1:6379,h2:6379`.
   */
  url: string;
}

/**
 * Flags in Redis, in the key layout litestar-flags uses, so Python and Node services can share
 * them. `RedisFeatureFlagStorage.create({ url })` opens (and on `close()` quits) its own client;
 * `new RedisFeatureFlagStorage(redis)` uses yours (a `Redis` or a `Cluster`) and never closes it.
 *
 * Reads of known keys are one round trip (MGET); writes that touch several keys run as one Lua
 * script, so a crash or a concurrent writer never leaves a flag without its index entry.
 * Environments, schedules and overrides are in the classes this one extends.
 */
export class RedisFeatureFlagStorage extends RedisOverrideStorage implements FeatureFlagStorage {
  /** @throws GatekeeperConfigError on a cluster, when `prefix` has no hash tag. */
  constructor(redis: Redis | Cluster, options: RedisFeatureFlagStorageOptions = {}) {
    const prefix = redisPrefixFor(redis, options.prefix, DEFAULT_FEATURE_FLAGS_REDIS_PREFIX);
    assertClusterPrefix(redis, prefix, 'prefix');
    super(redis, prefix);
  }

  /** Connects to `url` (failing fast when the server does not answer). */
  static async create(
    options: CreateRedisFeatureFlagStorageOptions,
  ): Promise<RedisFeatureFlagStorage> {
    const redis = await connectRedisClient(options.url, {
      connectionName: 'gatekeeper-feature-flags',
      optionName: 'url',
    });
    try {
      const storage = new RedisFeatureFlagStorage(redis, { prefix: options.prefix });
      storage.ownsClient = true;
      return storage;
    } catch (error) {
      await quitRedis(redis);
      throw error;
    }
  }

  async getFlag(key: string): Promise<FeatureFlag | null> {
    if (!isStorableKey(key)) return null;
    const document = await this.client().get(this.keys.flag(key));
    return document === null ? null : parseFlag(document);
  }

  async getFlags(keys: readonly string[]): Promise<Map<string, FeatureFlag>> {
    const unique = [...new Set(keys)].filter((key) => isStorableKey(key));
    const found = new Map<string, FeatureFlag>();
    if (unique.length === 0) return found;
    const documents = await this.client().mget(unique.map((key) => this.keys.flag(key)));
    documents.forEach((document, index) => {
      if (document !== null) found.set(unique[index], parseFlag(document));
    });
    return found;
  }

  /** Two round trips: the index, then one MGET of every flag in it. */
  async getAllActiveFlags(): Promise<FeatureFlag[]> {
    const keys = await this.client().smembers(this.keys.flags);
    const flags = await this.getFlags(keys);
    return [...flags.values()]
      .filter((flag) => flag.status === 'active')
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async createFlag(input: CreateFlagInput): Promise<FeatureFlag> {
    const flag = buildFlag({ ...input, version: 1 });
    const created = await scripts.CREATE_FLAG.run(
      this.client(),
      [this.keys.flag(flag.key), this.keys.flags, this.keys.flagIds],
      [serializeFlag(flag), flag.key, flag.id],
    );
    if (created !== 1) throw new FlagAlreadyExistsError(flag.key);
    return flag;
  }

  /**
   * Checks the caller's version against the stored document here, then writes with UPDATE_FLAG,
   * which applies only if that document has not changed since (same SHA-1). A document without a
   * version (last written by litestar-flags) reads as version 0; for it the caller's `updatedAt`
   * must also be the stored one (to the millisecond, what a read gives back), which catches a
   * litestar-flags write made after the caller read the flag.
   */
  async updateFlag(flag: UpdateFlagInput): Promise<FeatureFlag> {
    if (!isStorableKey(flag.key)) throw new FlagNotFoundError(flag.key);
    for (;;) {
      // The raw bytes: their hash must be the one Redis computes of the stored value.
      const bytes = await this.client().getBuffer(this.keys.flag(flag.key));
      if (bytes === null) throw new FlagNotFoundError(flag.key);
      const document = bytes.toString('utf8');
      const stored = parseFlag(document);
      if (flag.version !== undefined) {
        const stale =
          flag.version !== stored.version ||
          (stored.version === 0 && flag.updatedAt?.getTime() !== stored.updatedAt.getTime());
        if (stale) throw new FlagVersionConflictError(flag.key, flag.version, stored.version);
      }
      const next = this.nextFlagVersion(flag.key, stored, document, flag);
      const result = await scripts.UPDATE_FLAG.run(
        this.client(),
        [this.keys.flag(flag.key), this.keys.flags, this.keys.flagIds],
        [next.document, flag.key, createHash('sha1').update(bytes).digest('hex'), next.flag.id],
      );
      if (result === 1) return next.flag;
      if (result === 0) throw new FlagNotFoundError(flag.key);
    }
  }

  async deleteFlag(key: string): Promise<boolean> {
    if (!isStorableKey(key)) return false;
    const id = await scripts.DELETE_FLAG.run(
      this.client(),
      [
        this.keys.flag(key),
        this.keys.flags,
        this.keys.flagIds,
        this.keys.scheduledChanges,
        this.keys.pendingChanges,
        this.keys.rolloutPhases,
        this.keys.timeSchedules,
      ],
      [key, this.prefix],
    );
    if (typeof id !== 'string') return false;
    await this.deleteUnindexedOverrides(id);
    return true;
  }

  async getSegment(id: string): Promise<Segment | null> {
    if (!isStorableKey(id, FLAG_LIMITS.idLength)) return null;
    const document = await this.client().get(this.keys.segment(id));
    return document === null ? null : parseSegment(document);
  }

  async getSegmentByName(name: string): Promise<Segment | null> {
    if (!isStorableKey(name, FLAG_LIMITS.nameLength)) return null;
    const document = await scripts.BY_UNIQUE.run(
      this.client(),
      [this.keys.segmentNames],
      [name, this.keys.segment('')],
    );
    return typeof document === 'string' ? parseSegment(document) : null;
  }

  /** One round trip: a script reads the index and every document in it. */
  async getAllSegments(): Promise<Segment[]> {
    const documents = await this.documents(this.keys.segments, 'SMEMBERS', this.keys.segment(''));
    return sortByName(documents.map(parseSegment));
  }

  /** All segments (one round trip), filtered here: segments are few and read together. */
  async getChildSegments(parentId: string): Promise<Segment[]> {
    return (await this.getAllSegments()).filter((segment) => segment.parentSegmentId === parentId);
  }

  async createSegment(input: CreateSegmentInput): Promise<Segment> {
    const segment = buildSegment(input);
    const created = await scripts.CREATE_UNIQUE.run(
      this.client(),
      [this.keys.segment(segment.id), this.keys.segmentNames, this.keys.segments],
      [serializeSegment(segment), segment.name, segment.id],
    );
    if (created === -1) {
      throw new InvalidFlagError(`a segment with id "${segment.id}" already exists`, 'id');
    }
    if (created !== 1) throw new SegmentAlreadyExistsError(segment.name);
    return segment;
  }

  async updateSegment(input: UpdateSegmentInput): Promise<Segment> {
    if (!isStorableKey(input.id, FLAG_LIMITS.idLength)) throw new SegmentNotFoundError(input.id);
    const stored = await this.getSegment(input.id);
    if (!stored) throw new SegmentNotFoundError(input.id);
    const segment = buildSegment({ ...input, createdAt: stored.createdAt });
    const result = await scripts.UPDATE_UNIQUE.run(
      this.client(),
      [this.keys.segment(segment.id), this.keys.segmentNames],
      [serializeSegment(segment), segment.name, segment.id, 'name'],
    );
    if (result === 0) throw new SegmentNotFoundError(input.id);
    if (result === -1) throw new SegmentAlreadyExistsError(segment.name);
    return segment;
  }

  async deleteSegment(id: string): Promise<boolean> {
    if (!isStorableKey(id, FLAG_LIMITS.idLength)) return false;
    const deleted = await scripts.DELETE_SEGMENT.run(
      this.client(),
      [this.keys.segment(id), this.keys.segmentNames, this.keys.segments],
      [id],
    );
    return deleted === 1;
  }
}
