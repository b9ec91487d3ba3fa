import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { GatekeeperConfigError } from '@gatekeeper/common';
import {
  DatabaseFeatureFlagStorage,
  FEATURE_FLAG_STORAGE,
  FeatureFlagClient,
  FeatureFlagsModule,
  RedisFeatureFlagStorage,
  type FeatureFlagStorage,
  type FeatureFlagsModuleOptions,
} from '@gatekeeper/feature-flags';
import { testUrls, uniqueName } from '../harness/servers';
import { openDataSource, testDatabase } from './fixtures/storage-backends/backends';

async function startApp(options: FeatureFlagsModuleOptions) {
  const moduleRef = await Test.createTestingModule({
    imports: [FeatureFlagsModule.forRoot(options)],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe("FeatureFlagsModule with backend: 'database' and 'redis'", () => {
  it.each<[string, () => Promise<FeatureFlagsModuleOptions>, unknown]>([
    [
      'database from a connection string',
      async () => ({
        backend: 'database',
        connectionString: await testDatabase('postgres'),
        tablePrefix: uniqueName('mod_') + '_',
      }),
      DatabaseFeatureFlagStorage,
    ],
    [
      'redis from a URL',
      async () => ({
        backend: 'redis',
        redisUrl: testUrls().redis,
        redisPrefix: uniqueName('mod:') + ':',
      }),
      RedisFeatureFlagStorage,
    ],
  ])('serves flags from %s and closes the connection it opened', async (_name, options, type) => {
    const app = await startApp(await options());
    const storage = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
    expect(storage).toBeInstanceOf(type);
    await storage.createFlag({ key: 'beta', defaultEnabled: true });
    expect(await app.get(FeatureFlagClient).isEnabled('beta')).toBe(true);
    await app.close();
    expect(await storage.healthCheck()).toBe(false);
  });

  it('uses a DataSource it is given, creates the tables, and leaves it open', async () => {
    const tablePrefix = uniqueName('own_') + '_';
    const dataSource = await openDataSource('mysql', tablePrefix);
    try {
      const app = await startApp({ backend: 'database', dataSource, tablePrefix });
      await app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE).createFlag({ key: 'shared' });
      await app.close();
      expect(dataSource.isInitialized).toBe(true);
      const rows = await dataSource.query(`SELECT \`key\` FROM ${tablePrefix}flags`);
      expect(rows).toEqual([{ key: 'shared' }]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('uses an ioredis client it is given and leaves it connected', async () => {
    const redis = new Redis(testUrls().redis);
    const redisPrefix = uniqueName('own:') + ':';
    try {
      const app = await startApp({ backend: 'redis', redis, redisPrefix });
      await app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE).createFlag({ key: 'shared' });
      await app.close();
      expect(await redis.smembers(`${redisPrefix}flags`)).toEqual(['shared']);
    } finally {
      await redis.quit();
    }
  });

  it.each<[string, FeatureFlagsModuleOptions, RegExp]>([
    [
      'a redis URL with a bad port',
      { backend: 'redis', redisUrl: 'redis://admin:hunter2-secret@cache:63x79/0' },
      /redisUrl "redis:\/\/admin:\*\*\*@cache:63x79\/0" is not valid/,
    ],
    [
      'a sentinel URL without a master name',
      { backend: 'redis', redisUrl: 'redis+sentinel://:hunter2-secret@s1:26379,s2:26379' },
      /redisUrl .* is not valid: the master name is missing/,
    ],
    [
      'a connection string with an unknown scheme',
      { backend: 'database', connectionString: 'postgress://app:hunter2-secret@db/app' },
      /connectionString "postgress:\/\/app:\*\*\*@db\/app" is not valid: unknown scheme/,
    ],
    [
      'a connection string without a host',
      { backend: 'database', connectionString: 'mysql://app:hunter2-secret@/app' },
      /connectionString .* is not valid/,
    ],
  ])('fails at startup on %s, without echoing the password', async (_name, options, message) => {
    const error = await startApp(options).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatekeeperConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter2-secret');
  });

  it('fails at startup when the database cannot be reached, without echoing the password', async () => {
    const error = await startApp({
      backend: 'database',
      connectionString: 'postgres://app:hunter2-secret@127.0.0.1:1/app',
    }).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/Could not connect to the database/);
    expect((error as Error).message).not.toContain('hunter2-secret');
  });
});
