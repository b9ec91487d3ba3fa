import { performance } from 'node:perf_hooks';
import {
  ApiKeyReplicationError,
  ApiKeyService,
  type ApiAuthModuleOptions,
} from '@gatekeeper/api-auth';
import {
  FEATURE_FLAG_STORAGE,
  FeatureFlagClient,
  FeatureFlagsModule,
  RedisFeatureFlagStorage,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import request from 'supertest';
import { createTestApp } from './api-auth/fixtures/api-auth-test-app';
import { startRedisCluster, uniqueName, type ServerHandle } from './harness/servers';

/**
 * A private Redis Cluster (3 primaries, one replica each: the harness's shared one has no
 * replicas) loses a node to SIGSTOP, not SIGKILL: a frozen node (or one behind a network
 * partition) keeps its connections open and silent, so nothing but a timeout tells a client.
 * Each test thaws its node afterwards; it rejoins as a replica, and the cluster has a replica
 * for every primary again.
 */
describe('Redis Cluster: a node freezes (SIGSTOP)', () => {
  let topology: ServerHandle;
  let addresses: string[];
  const apps: INestApplicationContext[] = [];
  let thaw: (() => Promise<void>) | undefined;
  /** When the current test froze its node, and what it saw after how long (printed at the end). */
  let frozenAt = 0;
  const measured: string[] = [];
  const took = (what: string) =>
    measured.push(`${what} ${Math.round(performance.now() - frozenAt)} ms`);

  beforeAll(async () => {
    topology = await startRedisCluster(3, 1);
    addresses = topology.url.replace('redis+cluster://', '').split(',');
  }, 120_000);

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await thaw?.();
    thaw = undefined;
  }, 60_000);

  afterAll(async () => {
    console.log(`Redis Cluster, a node frozen (SIGSTOP →): ${measured.join('; ')}`);
    await topology?.close();
  }, 60_000);

  const start = async (auth: ApiAuthModuleOptions) => {
    const app = await createTestApp({ auth: { storage: undefined, ...auth } });
    apps.push(app);
    return app;
  };
  const options = (redisPrefix = `{${uniqueName('failover-')}}:`): ApiAuthModuleOptions => ({
    backend: 'redis',
    redisUrl: topology.url,
    redisPrefix,
    // An hour: a key refused during a test was invalidated, not expired.
    localCache: { ttl: 3600 },
  });
  const status = async (app: INestApplicationContext, key: string) =>
    (
      await request((app as INestApplication).getHttpServer())
        .get('/local/me')
        .set('x-api-key', key)
    ).status;
  const freeze = async (address: string) => {
    thaw = await freezeNode(address);
    frozenAt = performance.now();
  };
  /**
   * An instance started alone on the cluster (so the one node with a subscriber is its own),
   * with a prefix whose slot that node does not serve: once the node is frozen, writes and their
   * PUBLISH still go through at once, and only this instance is deaf to them.
   */
  const deafWhenFrozen = async <T extends INestApplicationContext>(
    startOne: (prefix: string) => Promise<T>,
  ): Promise<{ instance: T; prefix: string; node: string }> => {
    for (let attempt = 1; ; attempt++) {
      const prefix = `{${uniqueName('failover-')}}:`;
      const instance = await startOne(prefix);
      const node = await subscriberOf(addresses);
      if (!(await nodesOf(addresses, prefix)).includes(node)) return { instance, prefix, node };
      await instance.close();
      apps.splice(apps.indexOf(instance), 1);
      expect(attempt).toBeLessThan(10);
    }
  };

  it('revokes again once a replica took over the frozen primary of the keys', async () => {
    const auth = options();
    const app = await start(auth);
    const { key, apiKey } = await app
      .get(ApiKeyService)
      .create({ name: 'shared', ownerId: 'o', scopes: [] });
    expect(await status(app, key)).toBe(200);

    const primary = await primaryOf(addresses, auth.redisPrefix!);
    await freeze(primary);
    // Until the replica has taken over (and the client has learnt so), writes time out. The new
    // primary has no replica online: nothing to wait for, so the revocation is confirmed.
    let lastError: unknown;
    const confirmed = () =>
      revoke(app, apiKey.id).then(
        () => true,
        (error: unknown) => {
          lastError = error;
          return false;
        },
      );
    if (!(await eventually(confirmed, 60_000))) {
      // What the cluster thinks happened, for whoever reads a failure.
      const live = addresses.find((address) => address !== primary)!;
      const nodes = await onNode(live, (node) => node.cluster('NODES'));
      throw new Error(
        `never confirmed (last: ${String(lastError)}); CLUSTER NODES:\n${String(nodes)}`,
      );
    }
    took('revocation confirmed by the new primary');
    expect(await status(app, key)).toBe(401);
    // A second instance reads the new primary: the revocation is there.
    expect(await status(await start(auth), key)).toBe(401);
  }, 120_000);

  it('an instance whose subscriber node froze refuses a key revoked meanwhile', async () => {
    const { instance: b, prefix, node } = await deafWhenFrozen((p) => start(options(p)));
    const a = await start(options(prefix));
    const { key, apiKey } = await a
      .get(ApiKeyService)
      .create({ name: 'shared', ownerId: 'o', scopes: [] });
    expect(await status(b, key)).toBe(200);

    await freeze(node);
    await revoke(a, apiKey.id);
    // B cannot have heard it: its subscriber is on the frozen node. B must notice, subscribe on
    // another node and drop what it cached meanwhile.
    expect(await eventually(async () => (await status(b, key)) === 401, 30_000)).toBe(true);
    took('the deaf instance refuses the revoked key');
  }, 120_000);

  it('a revocation no replica confirms (the only one froze) is refused everywhere at once', async () => {
    const auth = options();
    const [a, b] = [await start(auth), await start(auth)];
    const { key, apiKey } = await a
      .get(ApiKeyService)
      .create({ name: 'shared', ownerId: 'o', scopes: [] });
    expect(await status(b, key)).toBe(200);

    // The primary counts a frozen replica as connected until its repl-timeout (60 s): WAIT 1 gets
    // no answer, and revoke() says so. The revocation is in on the primary all the same.
    await freeze(await replicaOf(addresses, auth.redisPrefix!));
    await expect(revoke(a, apiKey.id)).rejects.toThrow(ApiKeyReplicationError);
    expect(await status(a, key)).toBe(401);
    expect(await eventually(async () => (await status(b, key)) === 401, 30_000)).toBe(true);
  }, 120_000);

  it('feature flags: an instance whose subscriber node froze sees a flag changed meanwhile', async () => {
    const startFlags = async (redisPrefix: string) => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          FeatureFlagsModule.forRoot({
            backend: 'redis',
            redisUrl: topology.url,
            redisPrefix,
            localCache: { ttl: 3600 },
          }),
        ],
      }).compile();
      moduleRef.useLogger(false);
      const instance = await moduleRef.init();
      apps.push(instance);
      return instance;
    };
    const { instance: b, prefix, node } = await deafWhenFrozen(startFlags);
    // Written straight to Redis: an invalidation of its own creation arriving at B after B cached
    // the flag would empty B's cache, and B would then read the change without having heard it.
    const direct = await RedisFeatureFlagStorage.create({ url: topology.url, prefix });
    const flag = await direct
      .createFlag({ key: 'gate', defaultEnabled: false })
      .finally(() => direct.close());
    const clientB = b.get(FeatureFlagClient);
    expect(await clientB.isEnabled('gate')).toBe(false);
    const storage = (await startFlags(prefix)).get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);

    await freeze(node);
    await storage.updateFlag({ ...flag, version: undefined, defaultEnabled: true });
    expect(await eventually(() => clientB.isEnabled('gate'), 30_000)).toBe(true);
    took('the deaf instance serves the changed flag');
  }, 120_000);
});

/** Runs `action` on a plain connection to one cluster node. */
async function onNode<T>(address: string, action: (node: Redis) => Promise<T>): Promise<T> {
  const [host, port] = address.split(':');
  const node = new Redis({ host, port: Number(port), lazyConnect: true, commandTimeout: 2000 });
  try {
    await node.connect();
    return await action(node);
  } finally {
    node.disconnect();
  }
}

/** The nodes serving the slot of `prefix`'s hash tag: its primary first, then its replicas. */
async function nodesOf(addresses: string[], prefix: string): Promise<string[]> {
  const tag = /\{([^}]+)\}/.exec(prefix)![1];
  return onNode(addresses[0], async (node) => {
    const slot = await node.cluster('KEYSLOT', tag);
    const ranges = await node.cluster('SLOTS');
    const [, , ...nodes] = ranges.find(([from, to]) => from <= slot && slot <= to)!;
    return nodes.map(([host, port]) => `${host}:${port}`);
  });
}

const primaryOf = async (addresses: string[], prefix: string) =>
  (await nodesOf(addresses, prefix))[0];

/** A replica of that slot (CLUSTER SLOTS lists a replica once the cluster knows its offset). */
async function replicaOf(addresses: string[], prefix: string): Promise<string> {
  let replica: string | undefined;
  const listed = async () => {
    [, replica] = await nodesOf(addresses, prefix);
    return replica !== undefined;
  };
  expect(await eventually(listed, 10_000)).toBe(true);
  return replica!;
}

/** The node holding the cluster's one subscriber. */
async function subscriberOf(addresses: string[]): Promise<string> {
  const found: string[] = [];
  for (const address of addresses) {
    const channels = await onNode(address, (node) => node.call('PUBSUB', 'CHANNELS'));
    if ((channels as string[]).length > 0) found.push(address);
  }
  expect(found).toHaveLength(1);
  return found[0];
}

/** SIGSTOPs the node; what it returns resumes it and waits until it is a replica in sync. */
async function freezeNode(address: string): Promise<() => Promise<void>> {
  const info = await onNode(address, (node) => node.info('server'));
  const pid = Number(/process_id:(\d+)/.exec(info)![1]);
  process.kill(pid, 'SIGSTOP');
  return async () => {
    process.kill(pid, 'SIGCONT');
    const synced = await eventually(async () => {
      const replication = await onNode(address, (node) => node.info('replication')).catch(() => '');
      return replication.includes('role:slave') && replication.includes('master_link_status:up');
    }, 30_000);
    expect(synced).toBe(true);
  };
}

function revoke(app: INestApplicationContext, id: string): Promise<unknown> {
  return app.get(ApiKeyService).revoke(id);
}

/** Polls every 100 ms until `check` holds, for at most `withinMs`; never asserts on timing. */
async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
