import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connection';

/**
 * A Lua script run by digest (EVALSHA), sent in full only when the server does not know it yet
 * (first use, or after a restart or SCRIPT FLUSH). Unlike ioredis' `defineCommand` it adds nothing
 * to a client that may belong to the application.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * On a Redis Cluster the script runs on the node of `keys[0]`; every key it touches, given or
   * derived, must be in that key's slot.
   */
  async run(redis: RedisClient, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
