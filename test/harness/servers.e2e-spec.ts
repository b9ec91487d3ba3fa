import Redis, { Cluster } from 'ioredis';
import { DataSource } from 'typeorm';
import { createTestDatabase, startRedisServer, testUrls, uniqueName } from './servers';
import { retrying } from '../support/eventually';

/** A restarted server answers within seconds. */
const RESTART = { withinMs: 10_000, everyMs: 50 };

/**
 * Smoke test of the harness itself: each real server round-trips data through the same drivers
 * the libraries use.
 */
describe('test servers', () => {
  it('redis round-trips a value', async () => {
    const redis = new Redis(testUrls().redis);
    const key = uniqueName('smoke:');
    try {
      await redis.set(key, 'héllo', 'EX', 60);
      expect(await redis.get(key)).toBe('héllo');
    } finally {
      redis.disconnect();
    }
  });

  it('redis sentinel reports the master', async () => {
    const redis = new Redis({
      sentinels: [
        {
          host: '127.0.0.1',
          port: Number(new URL(testUrls().redisSentinel.replace('redis+sentinel', 'http')).port),
        },
      ],
      name: 'gatekeeper',
    });
    try {
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('the redis cluster serves every slot, spread over its 3 primaries', async () => {
    const cluster = new Cluster(addressesOf(testUrls().redisCluster));
    try {
      const keys = Array.from({ length: 30 }, (_, i) => uniqueName(`smoke:${i}:`));
      await Promise.all(keys.map((key) => cluster.set(key, key, 'EX', 60)));
      expect(await Promise.all(keys.map((key) => cluster.get(key)))).toEqual(keys);
      const masters = cluster.nodes('master');
      expect(masters).toHaveLength(3);
      for (const node of masters) {
        expect(await node.cluster('INFO')).toContain('cluster_state:ok');
        expect(await node.dbsize()).toBeGreaterThan(0);
      }
    } finally {
      cluster.disconnect();
    }
  });

  // The failover test may already have killed the first primary: only what survives it is checked.
  it('the failover topology has a primary watched by three sentinels, quorum 2', async () => {
    const url = testUrls().redisFailover;
    const sentinels = addressesOf(url);
    expect(sentinels).toHaveLength(3);
    const sentinel = new Redis(sentinels[0]);
    const primary = new Redis({ sentinels, name: url.split('/')[3] });
    try {
      expect(await primary.role()).toEqual(expect.arrayContaining(['master']));
      const info = (await sentinel.call('SENTINEL', 'MASTER', url.split('/')[3])) as string[];
      expect(info[info.indexOf('quorum') + 1]).toBe('2');
      expect(info[info.indexOf('num-other-sentinels') + 1]).toBe('2');
    } finally {
      sentinel.disconnect();
      primary.disconnect();
    }
  });

  it.each([
    [
      'postgres',
      async () => ({ type: 'postgres' as const, url: await createTestDatabase('postgres') }),
    ],
    ['mysql', async () => ({ type: 'mysql' as const, url: await createTestDatabase('mysql') })],
    ['sqlite', async () => ({ type: 'better-sqlite3' as const, database: ':memory:' })],
  ])('%s round-trips a row through TypeORM', async (_name, options) => {
    const dataSource = new DataSource(await options());
    await dataSource.initialize();
    try {
      await dataSource.query('CREATE TABLE smoke (id INTEGER PRIMARY KEY, label VARCHAR(50))');
      await dataSource.query("INSERT INTO smoke (id, label) VALUES (1, 'ünïcode')");
      const rows: Array<{ label: string }> = await dataSource.query(
        'SELECT label FROM smoke WHERE id = 1',
      );
      expect(rows[0].label).toBe('ünïcode');
    } finally {
      await dataSource.destroy();
    }
  });

  it('a private server can be stopped and started again', async () => {
    const server = await startRedisServer({ password: 's3cret' });
    const redis = new Redis(server.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    });
    redis.on('error', () => undefined);
    try {
      expect(await retrying(() => redis.ping(), RESTART)).toBe('PONG');
      await server.stop();
      await expect(redis.get('k')).rejects.toThrow();
      await server.start();
      expect(await retrying(() => redis.ping(), RESTART)).toBe('PONG');
    } finally {
      redis.disconnect();
      await server.close();
    }
  });
});

/** The host:port list of a `redis+cluster://` or `redis+sentinel://` URL. */
function addressesOf(url: string): Array<{ host: string; port: number }> {
  return url
    .split('/')[2]
    .split(',')
    .map((address) => {
      const [host, port] = address.split(':');
      return { host, port: Number(port) };
    });
}
