import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis, LuaScript, quitRedis } from '@gatekeeper/common';
import { DEFAULT_FEATURE_FLAGS_REDIS_PREFIX } from '../feature-flags.constants';
import {
  buildFlag,
  buildOverride,
  isOverrideExpired,
  isStorableKey,
  isStorableOverrideRef,
  type CreateFlagInput,
  type CreateOverrideInput,
  type FeatureFlag,
  type FlagOverride,
  type UpdateFlagInput,
} from '../models/feature-flag.model';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import { parseFlag, parseOverride, serializeFlag, serializeOverride } from './redis.codec';
import {
  FeatureFlagStorageError,
  FlagAlreadyExistsError,
  FlagNotFoundError,
  FlagVersionConflictError,
} from './storage.errors';

/** Options of `new RedisFeatureFlagStorage(redis, options)`. */
export interface RedisFeatureFlagStorageOptions {
  /** Prepended to every key. Default `'feature_flags:'`. */
  prefix?: string;
}

/** Options of `RedisFeatureFlagStorage.create()`. */
export interface CreateRedisFeatureFlagStorageOptions extends RedisFeatureFlagStorageOptions {
  /** `redis://[user:password@]host[:port][/db]`, `rediss://…` or `redis+sentinel://h1:26379,h2:26379/<master>[/<db>]`. */
  url: string;
}

/*
 * Key layout (the first three are litestar-flags', shared with Python services):
 *   {prefix}flag:{key}                                  JSON document of the flag, rules and variants embedded
 *   {prefix}flags                                       SET of all flag keys
 *   {prefix}override:{flag_id}:{entity_type}:{entity_id} JSON document, with a TTL when expires_at is set
 *   {prefix}flag_overrides:{flag_id}                    ours: ZSET of the flag's override keys, scored by
 *                                                       expiry (ms, +inf for none), so deleteFlag finds
 *                                                       them without KEYS or SCAN; expired members are
 *                                                       pruned on every override write.
 * Scripts derive the override keys of a flag from its stored id, so they touch keys they were not
 * given: fine on a single server or Sentinel; on Redis Cluster use a prefix with a hash tag
 * (`{ff}:`) so that every key lives in one slot.
 */

/** KEYS: flag, index. ARGV: document, key. 1 when created, 0 when the key is taken. */
const CREATE_FLAG = new LuaScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('SADD', KEYS[2], ARGV[2])
return 1
`);

/**
 * The compare-and-set of `updateFlag`. KEYS: flag, index. ARGV: document, key, SHA-1 of the stored
 * document the update was checked against. Writes only if the stored document is still exactly
 * that one, byte for byte: a write by anyone in between (Gatekeeper, which bumps `version`, or
 * litestar-flags, which keeps none) makes it answer -1 and the caller checks again.
 * 1 when written, 0 when the flag is gone, -1 when it changed.
 */
const UPDATE_FLAG = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
if redis.sha1hex(stored) ~= ARGV[3] then return -1 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
`);

/**
 * KEYS: flag, index. ARGV: key, prefix. Deletes the flag and the overrides its index lists;
 * answers the deleted flag's id, or 0 when there was no such flag.
 */
const DELETE_FLAG = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if not stored then
  redis.call('SREM', KEYS[2], ARGV[1])
  return 0
end
local id = cjson.decode(stored).id
local overrides = ARGV[2] .. 'flag_overrides:' .. id
local members = redis.call('ZRANGE', overrides, 0, -1)
-- unpack() is limited by the Lua stack: delete in slices.
for i = 1, #members, 500 do
  redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
end
redis.call('DEL', KEYS[1], overrides)
redis.call('SREM', KEYS[2], ARGV[1])
return id
`);

/**
 * KEYS: override, the flag's override index. ARGV: the document read. Deletes the override only
 * if it is still that document (a new one may have replaced it since); 1 or 0.
 */
const DELETE_EXPIRED_OVERRIDE = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], KEYS[1])
return 1
`);

/**
 * KEYS: override, flag's override index. ARGV: document, TTL in ms or '', expiry in epoch ms
 * or '', now in epoch ms.
 */
const SET_OVERRIDE = new LuaScript(`
if ARGV[2] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], '+inf', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
return 1
`);

/**
 * Flags in Redis, in the key layout litestar-flags uses, so Python and Node services can share
 * them. `RedisFeatureFlagStorage.create({ url })` opens (and on `close()` quits) its own client;
 * `new RedisFeatureFlagStorage(redis)` uses yours and never closes it.
 *
 * Reads of known keys are one round trip (MGET); writes that touch several keys run as one Lua
 * script, so a crash or a concurrent writer never leaves a flag without its index entry.
 */
export class RedisFeatureFlagStorage implements FeatureFlagStorage {
  private readonly prefix: string;
  private ownsClient = false;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    options: RedisFeatureFlagStorageOptions = {},
  ) {
    this.prefix = options.prefix ?? DEFAULT_FEATURE_FLAGS_REDIS_PREFIX;
  }

  /** Connects to `url` (failing fast when the server does not answer). */
  static async create(
    options: CreateRedisFeatureFlagStorageOptions,
  ): Promise<RedisFeatureFlagStorage> {
    const redis = await connectRedis(options.url, {
      connectionName: 'gatekeeper-feature-flags',
      optionName: 'url',
    });
    const storage = new RedisFeatureFlagStorage(redis, { prefix: options.prefix });
    storage.ownsClient = true;
    return storage;
  }

  async getFlag(key: string): Promise<FeatureFlag | null> {
    if (!isStorableKey(key)) return null;
    const document = await this.client().get(this.flagKey(key));
    return document === null ? null : parseFlag(document);
  }

  async getFlags(keys: readonly string[]): Promise<Map<string, FeatureFlag>> {
    const unique = [...new Set(keys)].filter((key) => isStorableKey(key));
    const found = new Map<string, FeatureFlag>();
    if (unique.length === 0) return found;
    const documents = await this.client().mget(unique.map((key) => this.flagKey(key)));
    documents.forEach((document, index) => {
      if (document !== null) found.set(unique[index], parseFlag(document));
    });
    return found;
  }

  /** Two round trips: the index, then one MGET of every flag in it. */
  async getAllActiveFlags(): Promise<FeatureFlag[]> {
    const keys = await this.client().smembers(this.flagsKey());
    const flags = await this.getFlags(keys);
    return [...flags.values()]
      .filter((flag) => flag.status === 'active')
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async getOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): Promise<FlagOverride | null> {
    if (!isStorableOverrideRef(flagId, entityType, entityId)) return null;
    const key = this.overrideKey(flagId, entityType, entityId);
    const document = await this.client().get(key);
    if (document === null) return null;
    const override = parseOverride(document);
    if (!isOverrideExpired(override)) return override;
    // Ours carry a TTL and vanish by themselves; litestar-flags writes an expired override
    // without one and deletes it when read, which its readers and ours now both do.
    await DELETE_EXPIRED_OVERRIDE.run(
      this.client(),
      [key, this.overrideIndexKey(flagId)],
      [document],
    );
    return null;
  }

  async createFlag(input: CreateFlagInput): Promise<FeatureFlag> {
    const flag = buildFlag({ ...input, version: 1 });
    const created = await CREATE_FLAG.run(
      this.client(),
      [this.flagKey(flag.key), this.flagsKey()],
      [serializeFlag(flag), flag.key],
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
      const bytes = await this.client().getBuffer(this.flagKey(flag.key));
      if (bytes === null) throw new FlagNotFoundError(flag.key);
      const document = bytes.toString('utf8');
      const stored = parseFlag(document);
      if (flag.version !== undefined) {
        const stale =
          flag.version !== stored.version ||
          (stored.version === 0 && flag.updatedAt?.getTime() !== stored.updatedAt.getTime());
        if (stale) throw new FlagVersionConflictError(flag.key, flag.version, stored.version);
      }
      const updated = buildFlag({
        ...flag,
        id: stored.id,
        createdAt: stored.createdAt,
        version: stored.version + 1,
      });
      const result = await UPDATE_FLAG.run(
        this.client(),
        [this.flagKey(flag.key), this.flagsKey()],
        [
          serializeFlag(updated, { createdAt: createdAtText(document) }),
          flag.key,
          createHash('sha1').update(bytes).digest('hex'),
        ],
      );
      if (result === 1) return updated;
      if (result === 0) throw new FlagNotFoundError(flag.key);
    }
  }

  async deleteFlag(key: string): Promise<boolean> {
    if (!isStorableKey(key)) return false;
    const id = await DELETE_FLAG.run(
      this.client(),
      [this.flagKey(key), this.flagsKey()],
      [key, this.prefix],
    );
    if (typeof id !== 'string') return false;
    await this.deleteUnindexedOverrides(id);
    return true;
  }

  /**
   * Overrides another writer (litestar-flags) stored for a deleted flag are not in our index:
   * find them with SCAN, in batches, so Redis is never blocked for the whole keyspace. Not atomic
   * with the delete, and it need not be: an override of a flag id that no longer exists is never
   * read (a flag created again gets a new id).
   */
  private async deleteUnindexedOverrides(flagId: string): Promise<void> {
    const pattern = `${globEscape(`${this.prefix}override:${flagId}:`)}*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.client().scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await this.client().unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  async createOverride(input: CreateOverrideInput): Promise<FlagOverride> {
    const key = this.overrideKey(input.flagId, input.entityType, input.entityId);
    const stored = await this.client().get(key);
    const existing = stored === null ? null : parseOverride(stored);
    const live = existing && !isOverrideExpired(existing) ? existing : undefined;
    // An upsert keeps the identity of the live override it replaces.
    const override = buildOverride({
      ...input,
      id: live?.id ?? input.id,
      createdAt: live?.createdAt ?? input.createdAt,
    });
    const now = Date.now();
    const expiresAt = override.expiresAt?.getTime();
    // An override that is already expired still gets written (and vanishes at once), as the
    // other backends store it and then never return it.
    const ttl = expiresAt === undefined ? '' : Math.max(1, expiresAt - now);
    await SET_OVERRIDE.run(
      this.client(),
      [key, this.overrideIndexKey(override.flagId)],
      [serializeOverride(override), ttl, expiresAt ?? '', now],
    );
    return override;
  }

  async deleteOverride(flagId: string, entityType: string, entityId: string): Promise<boolean> {
    if (!isStorableOverrideRef(flagId, entityType, entityId)) return false;
    const key = this.overrideKey(flagId, entityType, entityId);
    const results = await this.client()
      .multi()
      .del(key)
      .zrem(this.overrideIndexKey(flagId), key)
      .exec();
    const [error, deleted] = results?.[0] ?? [new Error('transaction aborted'), 0];
    if (error) throw error;
    return deleted === 1;
  }

  async healthCheck(): Promise<boolean> {
    if (this.closed) return false;
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Quits the client if `create()` opened it; a client you passed in stays connected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) await quitRedis(this.redis);
  }

  private client(): Redis {
    if (this.closed) throw new FeatureFlagStorageError('the feature flag storage is closed');
    return this.redis;
  }

  private flagKey(key: string): string {
    return `${this.prefix}flag:${key}`;
  }

  private flagsKey(): string {
    return `${this.prefix}flags`;
  }

  private overrideKey(flagId: string, entityType: string, entityId: string): string {
    return `${this.prefix}override:${flagId}:${entityType}:${entityId}`;
  }

  private overrideIndexKey(flagId: string): string {
    return `${this.prefix}flag_overrides:${flagId}`;
  }
}

/** The stored `created_at` text, kept on update at the precision its writer gave it. */
function createdAtText(document: string): unknown {
  return (JSON.parse(document) as { created_at?: unknown }).created_at;
}

/** `text` as a SCAN/KEYS glob matching itself only. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
