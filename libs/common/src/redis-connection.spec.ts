import Redis, { Cluster } from 'ioredis';
import { freePort } from '../../../test/harness/processes';
import { startRedisSentinel, startRedisServer, testUrls } from '../../../test/harness/servers';
import { GatekeeperConfigError } from './errors';
import { connectRedis, connectRedisClient, isRedisCluster, quitRedis } from './redis-connection';
import { assertClusterPrefix, hashTagOf, redisPrefixFor } from './redis-slots';
import { isRedisClusterUrl, parseRedisUrl } from './redis-url';

describe('parseRedisUrl', () => {
  it('reads a cluster URL: seed nodes, credentials, TLS', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2,[::1]:7002')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      nodeOptions: { username: undefined, password: undefined, tls: undefined },
    });
    expect(parseRedisUrl('rediss+cluster://app:s%40cret@h1:7000/')).toMatchObject({
      kind: 'cluster',
      nodes: [{ host: 'h1', port: 7000 }],
      nodeOptions: { username: 'app', password: 's@cret', tls: {} },
    });
    expect(parseRedisUrl('redis+cluster://h1:7000/0')).toMatchObject({ kind: 'cluster' });
  });

  it('keeps reading single-server and Sentinel URLs', () => {
    expect(parseRedisUrl('redis://:pw@h:6380/2')).toEqual({
      kind: 'server',
      options: expect.objectContaining({ host: 'h', port: 6380, password: 'pw', db: 2 }),
    });
    expect(parseRedisUrl('redis+sentinel://s1:26380,s2/mymaster/1')).toEqual({
      kind: 'server',
      options: expect.objectContaining({
        sentinels: [
          { host: 's1', port: 26380 },
          { host: 's2', port: 26379 },
        ],
        name: 'mymaster',
        db: 1,
      }),
    });
  });

  it.each([
    ['redis+cluster://h1:7000/3', 'no db number other than 0'],
    ['redis+cluster://h1:7000,:7001', 'bad address'],
    ['redis+cluster://user:secret@h1:x', 'bad address'],
    ['redis+clusters://h1', 'unknown scheme'],
  ])('refuses %s, naming the option and never the password', (url, why) => {
    const error = (() => {
      try {
        parseRedisUrl(url, 'REDIS_URL');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(GatekeeperConfigError);
    expect(error?.message).toContain('REDIS_URL');
    expect(error?.message).toContain(why);
    expect(error?.message).toContain('redis+cluster://');
    expect(error?.message).not.toContain('secret');
  });
});

describe('isRedisClusterUrl', () => {
  it.each([
    ['redis+cluster://h:1', true],
    ['REDISS+CLUSTER://h:1', true],
    ['redis://h:1', false],
    ['redis+sentinel://h:1/m', false],
    [undefined, false],
  ])('%s → %s', (url, expected) => {
    expect(isRedisClusterUrl(url)).toBe(expected);
  });
});

describe('hash tags', () => {
  it.each([
    ['{api_key}:', 'api_key'],
    ['app:{tenant-1}:keys:', 'tenant-1'],
    ['{}:', undefined],
    ['{a', undefined],
    ['api_key:', undefined],
    ['x}{y}:', 'y'],
  ])('%s has the hash tag %s', (prefix, tag) => {
    expect(hashTagOf(prefix)).toBe(tag);
  });

  // Real clients, never connected: only their kind matters here.
  const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
  const server = new Redis({ lazyConnect: true });

  it("gives a module's default prefix a hash tag on a cluster only", () => {
    expect(isRedisCluster(cluster)).toBe(true);
    expect(isRedisCluster(server)).toBe(false);
    expect(redisPrefixFor(cluster, undefined, 'api_key:')).toBe('{api_key}:');
    expect(redisPrefixFor(cluster, undefined, '{ff}:')).toBe('{ff}:');
    expect(redisPrefixFor(server, undefined, 'api_key:')).toBe('api_key:');
    expect(redisPrefixFor(cluster, 'mine:', 'api_key:')).toBe('mine:');
  });

  it('refuses a prefix without a hash tag on a cluster, suggesting one', () => {
    expect(() => assertClusterPrefix(cluster, 'tenant:', 'redisPrefix')).toThrow(
      new GatekeeperConfigError(
        'redisPrefix "tenant:" has no hash tag, which Redis Cluster needs: every key of the ' +
          'module must share one slot. Use a prefix such as "{tenant}:"',
      ),
    );
    expect(() => assertClusterPrefix(cluster, '{tenant}:', 'redisPrefix')).not.toThrow();
    expect(() => assertClusterPrefix(server, 'tenant:', 'redisPrefix')).not.toThrow();
  });
});

describe('connectRedisClient on a cluster URL', () => {
  it('connects to the cluster with the fail-fast bounds on every node', async () => {
    const cluster = await connectRedisClient(testUrls().redisCluster, {
      connectionName: 'gatekeeper-spec',
    });
    try {
      expect(isRedisCluster(cluster)).toBe(true);
      const { options } = cluster as Cluster;
      expect(options).toMatchObject({
        enableOfflineQueue: false,
        redisOptions: { commandTimeout: 2000, maxRetriesPerRequest: 1 },
      });
      expect(await cluster.ping()).toBe('PONG');
      const names = await Promise.all(
        (cluster as Cluster).nodes('master').map((node) => node.client('GETNAME')),
      );
      expect(names.some((name) => name === 'gatekeeper-spec')).toBe(true);
    } finally {
      await quitRedis(cluster);
    }
  });

  it('stops re-reading the slot map once quit, even mid-refresh, so the process can exit', async () => {
    const cluster = (await connectRedisClient(testUrls().redisCluster)) as Cluster;
    const refresh = cluster.refreshSlotsCache.bind(cluster);
    let refreshes = 0;
    // The first periodic refresh quits the client while its own request is still out.
    const quit = new Promise<void>((resolve) => {
      cluster.refreshSlotsCache = (callback) => {
        refreshes++;
        refresh(callback);
        if (refreshes === 1) resolve(quitRedis(cluster));
      };
    });
    await quit;
    // Two periods and a half: a refresh timer that outlived quit() would have fired by now.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(cluster.status).toBe('end');
    expect(refreshes).toBe(1);
  });

  it('fails startup when no seed node answers', async () => {
    const port = await freePort();
    await expect(connectRedisClient(`redis+cluster://127.0.0.1:${port}`)).rejects.toThrow(
      `Could not connect to Redis at redis+cluster://127.0.0.1:${port}`,
    );
  });

  it('is refused where a single server is needed', async () => {
    await expect(
      connectRedis(testUrls().redisCluster, { optionName: 'REDIS_URL' }),
    ).rejects.toThrow(/REDIS_URL is a Redis Cluster URL, which is not supported here/);
  });
});

describe('connectRedis on a Sentinel URL', () => {
  it('leaves no Sentinel connection open once the client is quit', async () => {
    const server = await startRedisServer();
    const { hostname, port } = new URL(server.url);
    const sentinel = await startRedisSentinel(hostname, Number(port), 'spec-master');
    const watcher = new Redis(Number(sentinel.url.split('/')[2].split(':')[1]));
    // The failover detector's connections are the ones subscribed on the Sentinel.
    const subscribed = async () =>
      ((await watcher.client('LIST')) as string)
        .split('\n')
        .filter((line) => / sub=[1-9]/.test(line)).length;
    try {
      const client = await connectRedis(sentinel.url);
      expect(await eventually(async () => (await subscribed()) > 0)).toBe(true);
      await client.quit();
      expect(await eventually(async () => (await subscribed()) === 0)).toBe(true);
    } finally {
      watcher.disconnect();
      await Promise.all([sentinel.close(), server.close()]);
    }
  });
});

describe('connectRedis when a connection attempt is cut short', () => {
  /**
   * Drops the connection, then drops it again while the reconnect is under way (`interrupt`): what
   * ioredis' Sentinel failover detector does when a switch is announced during a reconnect.
   */
  const cutShort = async (client: Redis, interrupt: () => void): Promise<void> => {
    const ended = new Promise((resolve) => client.once('end', resolve));
    client.once('connecting', interrupt);
    client.disconnect(true);
    await ended;
  };

  it('connects again, where ioredis alone would fail every later command', async () => {
    const client = await connectRedis(testUrls().redis);
    try {
      await cutShort(client, () => client.disconnect(true));
      const answers = async () => (await client.ping().catch(() => null)) === 'PONG';
      expect(await eventually(answers)).toBe(true);
    } finally {
      await quitRedis(client);
    }
  });

  it('stays closed when the attempt was cut short by disconnect()', async () => {
    const client = await connectRedis(testUrls().redis);
    await cutShort(client, () => client.disconnect());
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(client.status).toBe('end');
  });
});

/** Polls (bounded: about five seconds) until `check` holds; never asserts on how long it took. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
