import {
  assertClusterPrefix,
  assertTimeout,
  GatekeeperConfigError,
  redisPrefixFor,
  withTimeout,
} from '@gatekeeper/common';
import type { Cluster, Redis } from 'ioredis';
import { DEFAULT_API_AUTH_REDIS_PREFIX } from '../api-auth.constants';
import { assertStorableApiKey, versionOf } from '../api-key.validation';
import type { ApiKey } from '../models/api-key.model';
import type { ApiKeyStorage } from './api-key-storage.interface';
import {
  deserializeApiKey,
  replaceableFieldsJson,
  serializeApiKey,
  timestampJson,
} from './redis.serialization';
import { CREATE_SCRIPT, DELETE_SCRIPT, FETCH_BY_IDS_SCRIPT, MERGE_SCRIPT } from './redis.scripts';
import { ReplicaConfirmations } from './replica-confirmations';
import {
  ApiKeyAlreadyExistsError,
  ApiKeyNotFoundError,
  ApiKeyVersionConflictError,
} from './storage.errors';

export interface RedisApiKeyStorageOptions {
  /**
   * Key namespace. Default `'api_key:'`; on a Redis Cluster `'{api_key}:'`, and a prefix given
   * there must contain a hash tag (every key of the storage then lives in one slot).
   */
  prefix?: string;
  /** Ids per SSCAN step (and per bulk read) in `listByOwner`. Default 500. */
  batchSize?: number;
  /**
   * Milliseconds `update()` (revocations included) and `delete()` wait for a replica to confirm
   * the write when the primary has replicas; `ApiKeyReplicationError` after that. Keep it below the
   * client's command timeout (2000 ms on the module's clients). Default 1000.
   */
  replicaTimeoutMs?: number;
}

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_REPLICA_TIMEOUT_MS = 1000;
const PING_TIMEOUT_MS = 2000;
/** What MERGE_SCRIPT answers, followed by the stored version, when the expected one is stale. */
const CONFLICT = 'conflict:';

/**
 * Keeps API keys in Redis:
 * - `{prefix}hash:{keyHash}` → the key as JSON (the lookup on every request: one GET),
 * - `{prefix}id:{id}` → keyHash,
 * - `{prefix}owner:{ownerId}` → SET of ids.
 *
 * Every write changes its keys in one Lua script, so a crash or a concurrent writer never leaves
 * them half-updated. Scripts derive some key names from stored values, so on a Redis Cluster the
 * prefix carries a hash tag: all keys share one slot (one node serves the storage).
 *
 * `update()` and `delete()` take access away (revocation, a shorter expiry, fewer scopes, the key
 * itself); when the primary has replicas they resolve only once one confirms the write (WAIT), so
 * a failover cannot bring the access back. `create()` and `touch()` are acknowledged by the
 * primary alone: losing one fails closed, or loses a `lastUsedAt`.
 * The ioredis client is yours: `close()` never quits it.
 */
export class RedisApiKeyStorage implements ApiKeyStorage {
  private readonly prefix: string;
  private readonly batchSize: number;
  /** Ids whose last update or delete no replica confirmed: a retry confirms them first. */
  private readonly replicas: ReplicaConfirmations;

  constructor(
    private readonly redis: Redis | Cluster,
    options: RedisApiKeyStorageOptions = {},
  ) {
    this.prefix = redisPrefixFor(redis, options.prefix, DEFAULT_API_AUTH_REDIS_PREFIX);
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (typeof this.prefix !== 'string') {
      throw new GatekeeperConfigError("prefix must be a string such as 'api_key:'");
    }
    assertClusterPrefix(redis, this.prefix, 'prefix');
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new GatekeeperConfigError('batchSize must be a positive integer');
    }
    assertTimeout(options.replicaTimeoutMs, 'replicaTimeoutMs');
    this.replicas = new ReplicaConfirmations(
      redis,
      options.replicaTimeoutMs ?? DEFAULT_REPLICA_TIMEOUT_MS,
    );
  }

  async getByHash(keyHash: string): Promise<ApiKey | null> {
    const json = await this.redis.get(this.recordKey(keyHash));
    return json === null ? null : deserializeApiKey(json);
  }

  async getById(id: string): Promise<ApiKey | null> {
    // A retried revoke() reads the key first and stops there when it is revoked: that answer must
    // not come before a replica has the revocation.
    if (this.replicas.isPending(id)) {
      // Rewritten as stored (a touch without a time), so WAIT has a write of this client to confirm.
      await MERGE_SCRIPT.run(
        this.redis,
        [this.idKey(id)],
        [this.recordKey(''), '', 'null', 'null', ''],
      );
      await this.replicas.confirm(id, this.idKey(id));
    }
    const [json] = await this.fetchByIds([id]);
    return json ? deserializeApiKey(json) : null;
  }

  async create(apiKey: ApiKey): Promise<ApiKey> {
    assertStorableApiKey(apiKey);
    const json = serializeApiKey(apiKey);
    const outcome = await CREATE_SCRIPT.run(
      this.redis,
      [this.recordKey(apiKey.keyHash), this.idKey(apiKey.id), this.ownerKey(apiKey.ownerId)],
      [json, apiKey.id, apiKey.keyHash],
    );
    if (outcome === 'id' || outcome === 'keyHash') throw new ApiKeyAlreadyExistsError(outcome);
    return deserializeApiKey(json);
  }

  /** The merge rules run inside Redis (MERGE_SCRIPT): no read-modify-write across round trips. */
  async update(apiKey: ApiKey): Promise<ApiKey> {
    const expected = versionOf(apiKey);
    const merged = await MERGE_SCRIPT.run(
      this.redis,
      [this.idKey(apiKey.id)],
      [
        this.recordKey(''),
        replaceableFieldsJson(apiKey),
        timestampJson(apiKey.revokedAt),
        timestampJson(apiKey.lastUsedAt),
        expected === undefined ? '' : String(expected),
      ],
    );
    if (typeof merged !== 'string') throw new ApiKeyNotFoundError(apiKey.id);
    if (merged.startsWith(CONFLICT)) {
      throw new ApiKeyVersionConflictError(
        apiKey.id,
        expected!,
        Number(merged.slice(CONFLICT.length)),
      );
    }
    await this.replicas.confirm(apiKey.id, this.idKey(apiKey.id));
    return deserializeApiKey(merged);
  }

  async touch(id: string, lastUsedAt: Date): Promise<void> {
    // An empty replaceable segment tells the script to keep everything but last_used_at.
    await MERGE_SCRIPT.run(
      this.redis,
      [this.idKey(id)],
      [this.recordKey(''), '', 'null', timestampJson(lastUsedAt), ''],
    );
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await DELETE_SCRIPT.run(this.redis, [this.idKey(id)], [this.prefix, id]);
    // A retry after ApiKeyReplicationError finds nothing to delete, but must still be confirmed.
    if (deleted !== 1 && !this.replicas.isPending(id)) return false;
    await this.replicas.confirm(id, this.idKey(id));
    return deleted === 1;
  }

  /**
   * Walks the owner's set with SSCAN and reads each batch of records in one round trip, so only
   * one batch of keys is in memory at a time.
   */
  async *listByOwner(ownerId: string): AsyncIterable<ApiKey> {
    // SSCAN may return an id twice while Redis resizes the set; ids are small, records are not.
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, ids] = await this.redis.sscan(
        this.ownerKey(ownerId),
        cursor,
        'COUNT',
        this.batchSize,
      );
      cursor = next;
      const fresh = ids.filter((id) => !seen.has(id));
      fresh.forEach((id) => seen.add(id));
      if (fresh.length === 0) continue;
      for (const json of await this.fetchByIds(fresh)) {
        // A key deleted between SSCAN and the read is simply skipped.
        if (json) yield deserializeApiKey(json);
      }
    } while (cursor !== '0');
  }

  async healthCheck(): Promise<boolean> {
    try {
      return (await withTimeout(this.redis.ping(), PING_TIMEOUT_MS, 'Redis PING')) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    // The client belongs to whoever created it (the module quits the ones it opened).
  }

  /** One round trip (per node: the ids share the prefix's slot on a cluster). */
  private async fetchByIds(ids: string[]): Promise<Array<string | null>> {
    return (await FETCH_BY_IDS_SCRIPT.run(
      this.redis,
      ids.map((id) => this.idKey(id)),
      [this.recordKey('')],
    )) as Array<string | null>;
  }

  private recordKey(keyHash: string): string {
    return `${this.prefix}hash:${keyHash}`;
  }

  private idKey(id: string): string {
    return `${this.prefix}id:${id}`;
  }

  private ownerKey(ownerId: string): string {
    return `${this.prefix}owner:${ownerId}`;
  }
}
