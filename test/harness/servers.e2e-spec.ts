import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { createTestDatabase, startRedisServer, testUrls, uniqueName } from './servers';

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
      expect(await eventually(() => redis.ping())).toBe('PONG');
      await server.stop();
      await expect(redis.get('k')).rejects.toThrow();
      await server.start();
      expect(await eventually(() => redis.ping())).toBe('PONG');
    } finally {
      redis.disconnect();
      await server.close();
    }
  });
});

async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
