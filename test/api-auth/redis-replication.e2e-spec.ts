import {
  ApiKeyReplicationError,
  ApiKeyService,
  MemoryApiKeyStorage,
  RedisApiKeyStorage,
  RedisCacheApiKeyStorage,
  type ApiKey,
  type ApiKeyStorage,
} from '@gatekeeper/api-auth';
import { connectRedis, quitRedis } from '@gatekeeper/common';
import type { Redis } from 'ioredis';
import { startRedisServer, uniqueName, type ServerHandle } from '../harness/servers';
import { eventually } from '../support/eventually';

/**
 * What a revocation waits for on a primary with a replica (WAIT 1): a private primary and replica,
 * and a replica frozen with SIGSTOP, so that it stays connected but confirms nothing.
 */
describe('RedisApiKeyStorage on a primary with a replica', () => {
  let primaryServer: ServerHandle;
  let replicaServer: ServerHandle;
  let primary: Redis;
  let replica: Redis;
  let replicaPid: number;

  beforeAll(async () => {
    [primaryServer, replicaServer] = await Promise.all([startRedisServer(), startRedisServer()]);
    primary = await connectRedis(primaryServer.url);
    replica = await connectRedis(replicaServer.url);
    const { hostname, port } = new URL(primaryServer.url);
    await replica.replicaof(hostname, port);
    // The primary counts a replica once it has acknowledged the initial sync (ROLE lists it).
    expect(
      await eventually(async () => ((await primary.role()) as unknown[][])[2].length === 1, {
        everyMs: 50,
      }),
    ).toBe(true);
    replicaPid = Number(/process_id:(\d+)/.exec(await replica.info('server'))?.[1]);
  });

  afterAll(async () => {
    process.kill(replicaPid, 'SIGCONT');
    await Promise.all([quitRedis(primary), quitRedis(replica)]);
    await Promise.all([primaryServer.close(), replicaServer.close()]);
  });

  /** Runs `body` while the replica is frozen (connected, but confirming nothing). */
  async function withFrozenReplica(body: () => Promise<void>): Promise<void> {
    process.kill(replicaPid, 'SIGSTOP');
    try {
      await body();
    } finally {
      process.kill(replicaPid, 'SIGCONT');
    }
  }

  const service = (storage: ApiKeyStorage) =>
    new ApiKeyService(storage, {}, { now: () => new Date() });

  it('acknowledges a revocation once the replica has it', async () => {
    const prefix = `${uniqueName('repl-')}:`;
    const storage = new RedisApiKeyStorage(primary, { prefix });
    const { apiKey } = await service(storage).create({ name: 'ci', ownerId: 'o', scopes: [] });
    const revoked = await service(storage).revoke(apiKey.id);
    // Read from the replica itself: the acknowledgement means it is there already.
    expect(await recordOf(replica, prefix, apiKey)).toMatchObject({
      revoked_at: revoked.revokedAt!.toISOString(),
    });
  });

  it('fails a revocation no replica confirmed, and its retries until one does', async () => {
    const prefix = `${uniqueName('repl-')}:`;
    const storage = new RedisApiKeyStorage(primary, { prefix, replicaTimeoutMs: 200 });
    const keys = service(storage);
    const { apiKey } = await keys.create({ name: 'ci', ownerId: 'o', scopes: [] });
    await withFrozenReplica(async () => {
      const error = await keys.revoke(apiKey.id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiKeyReplicationError);
      expect(error).toMatchObject({ id: apiKey.id, timeoutMs: 200 });
      // In effect on the primary (requests are refused)…
      expect((await recordOf(primary, prefix, apiKey)).revoked_at).not.toBeNull();
      // …but a retry must not report it done while no replica has it.
      await expect(keys.revoke(apiKey.id)).rejects.toBeInstanceOf(ApiKeyReplicationError);
    });
    const revoked = await keys.revoke(apiKey.id);
    expect(revoked.revokedAt).not.toBeNull();
    expect(
      await eventually(async () => (await replica.exists(`${prefix}id:${apiKey.id}`)) === 1, {
        everyMs: 50,
      }),
    ).toBe(true);
  });

  it('fails a delete no replica confirmed; a retry waits for the replica too', async () => {
    const prefix = `${uniqueName('repl-')}:`;
    const storage = new RedisApiKeyStorage(primary, { prefix, replicaTimeoutMs: 200 });
    const { apiKey } = await service(storage).create({ name: 'ci', ownerId: 'o', scopes: [] });
    await withFrozenReplica(async () => {
      await expect(storage.delete(apiKey.id)).rejects.toBeInstanceOf(ApiKeyReplicationError);
      await expect(storage.delete(apiKey.id)).rejects.toBeInstanceOf(ApiKeyReplicationError);
    });
    expect(await storage.delete(apiKey.id)).toBe(false);
    expect(await replica.exists(`${prefix}id:${apiKey.id}`)).toBe(0);
  });

  it('the Redis cache fails a revocation whose invalidation no replica confirmed', async () => {
    const prefix = `${uniqueName('repl-cache-')}:`;
    const cache = new RedisCacheApiKeyStorage({
      redis: primary,
      primary: new MemoryApiKeyStorage(),
      ttl: 300,
      prefix,
      replicaTimeoutMs: 200,
    });
    const keys = service(cache);
    const { key, apiKey } = await keys.create({ name: 'ci', ownerId: 'o', scopes: [] });
    await keys.verify(key);
    await withFrozenReplica(async () => {
      await expect(keys.revoke(apiKey.id)).rejects.toBeInstanceOf(ApiKeyReplicationError);
      await expect(keys.revoke(apiKey.id)).rejects.toBeInstanceOf(ApiKeyReplicationError);
      // Refused at once all the same: the primary storage has the revocation.
      await expect(keys.verify(key)).rejects.toMatchObject({ code: 'revoked_api_key' });
    });
    expect((await keys.revoke(apiKey.id)).revokedAt).not.toBeNull();
    // The replica has no cached copy left to serve after a failover.
    expect(await replica.exists(`${prefix}hash:${apiKey.keyHash}`)).toBe(0);
  });

  it('acknowledges creations and usage on the primary alone', async () => {
    const prefix = `${uniqueName('repl-')}:`;
    const storage = new RedisApiKeyStorage(primary, { prefix, replicaTimeoutMs: 200 });
    await withFrozenReplica(async () => {
      const { apiKey } = await service(storage).create({ name: 'ci', ownerId: 'o', scopes: [] });
      await storage.touch(apiKey.id, new Date());
      expect((await storage.getById(apiKey.id))?.lastUsedAt).toBeInstanceOf(Date);
    });
  });
});

/** The stored record of `apiKey`, as JSON, on the server `redis` is connected to. */
async function recordOf(redis: Redis, prefix: string, apiKey: ApiKey) {
  return JSON.parse((await redis.get(`${prefix}hash:${apiKey.keyHash}`))!) as {
    revoked_at: string | null;
  };
}
