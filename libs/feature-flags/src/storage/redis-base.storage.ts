import { pipelinedOn, quitRedis, type RedisClient } from '@gatekeeper/common';
import { buildFlag, type FeatureFlag, type UpdateFlagInput } from '../models/feature-flag.model';
import { createdAtText, serializeFlag } from './redis.codec';
import { redisKeys, scripts, type RedisKeys } from './redis.scripts';
import { FeatureFlagStorageError } from './storage.errors';

/** How DOCUMENTS reads an index: a set's members, a hash's values, a sorted set in score order. */
export type IndexRead = 'SMEMBERS' | 'HVALS' | 'ZRANGE';

/**
 * What every part of `RedisFeatureFlagStorage` shares: the client and its lifecycle, the key
 * names, and the one way a flag's next version is built. The storage is one class spread over
 * files by record kind (this, redis-environments.ts, redis-schedules.ts, redis-overrides.ts,
 * redis.storage.ts), each extending the previous one, so that each file stays readable.
 *
 * On a Redis Cluster every key shares the prefix's hash tag, hence one slot and one node: the
 * scripts may touch keys derived from stored ids, and every script gets at least one key so that
 * ioredis sends it to that node.
 */
export abstract class RedisStorageBase {
  protected readonly keys: RedisKeys;
  protected ownsClient = false;
  private closed = false;

  protected constructor(
    private readonly redis: RedisClient,
    protected readonly prefix: string,
  ) {
    this.keys = redisKeys(prefix);
  }

  async healthCheck(): Promise<boolean> {
    if (this.closed) return false;
    try {
      // On a cluster a bare PING answers from any node, even while the one serving the flags'
      // slot is down.
      const [pong] = await pipelinedOn(this.redis, this.keys.flags, ['ping']);
      return pong === 'PONG';
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

  protected client(): RedisClient {
    if (this.closed) throw new FeatureFlagStorageError('the feature flag storage is closed');
    return this.redis;
  }

  /**
   * Hands every key matching `pattern` to `page`, a SCAN page (COUNT 1,000) at a time, so that
   * Redis is never blocked for the whole keyspace. On a cluster every key of ours is in the
   * prefix's slot: only the node serving it is scanned.
   */
  protected async scan(pattern: string, page: (keys: string[]) => unknown): Promise<void> {
    let cursor = '0';
    do {
      const [reply] = await pipelinedOn(this.client(), this.keys.flags, [
        'scan',
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        1000,
      ]);
      const [next, keys] = reply as [string, string[]];
      if (keys.length > 0) await page(keys);
      cursor = next;
    } while (cursor !== '0');
  }

  /**
   * Every document `index` lists, in one round trip. A member's document is at
   * `before + member + after`.
   */
  protected async documents(
    index: string,
    read: IndexRead,
    before: string,
    after = '',
  ): Promise<string[]> {
    return (await scripts.DOCUMENTS.run(this.client(), [index], [read, before, after])) as string[];
  }

  /**
   * The flag `input` makes of the stored one (`document`, at `key`), as every flag write after
   * creation stores it: id and `createdAt` kept (its text too, at the precision its writer gave
   * it), version + 1, `updatedAt` now. UPDATE_FLAG then writes it if `document` is still stored.
   */
  protected nextFlagVersion(
    key: string,
    stored: FeatureFlag,
    document: string,
    input: UpdateFlagInput,
    now = new Date(),
  ): { flag: FeatureFlag; document: string } {
    const flag = buildFlag(
      { ...input, key, id: stored.id, createdAt: stored.createdAt, version: stored.version + 1 },
      now,
    );
    return { flag, document: serializeFlag(flag, { createdAt: createdAtText(document) }) };
  }
}
