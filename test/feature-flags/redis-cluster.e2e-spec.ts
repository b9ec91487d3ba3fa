import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Cluster } from 'ioredis';
import { connectRedisClient, quitRedis } from '@gatekeeper/common';
import {
  EvaluationReason,
  FEATURE_FLAG_STORAGE,
  FeatureFlagClient,
  FeatureFlagsHealthIndicator,
  FeatureFlagsModule,
  GatekeeperConfigError,
  LocalCacheFeatureFlagStorage,
  RedisFeatureFlagStorage,
  type FeatureFlagStorage,
  type FeatureFlagsModuleOptions,
} from '@gatekeeper/feature-flags';
import { testUrls, uniqueName } from '../harness/servers';
import { eventually } from '../support/eventually';

/** FeatureFlagsModule and RedisFeatureFlagStorage on the harness's Redis Cluster (3 primaries). */
describe('feature flags on a Redis Cluster', () => {
  const url = testUrls().redisCluster;
  let cluster: Cluster;
  const instances: INestApplicationContext[] = [];

  beforeAll(async () => {
    cluster = (await connectRedisClient(url)) as Cluster;
  });

  afterEach(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.close()));
  });

  afterAll(() => quitRedis(cluster));

  async function start(options: FeatureFlagsModuleOptions): Promise<INestApplicationContext> {
    const moduleRef = await Test.createTestingModule({
      imports: [FeatureFlagsModule.forRoot(options)],
    }).compile();
    moduleRef.useLogger(false);
    const instance = await moduleRef.init();
    instances.push(instance);
    return instance;
  }

  const slotsOf = async (names: string[]) =>
    new Set(await Promise.all(names.map((name) => cluster.cluster('KEYSLOT', name))));

  it("keeps every key under '{feature_flags}:' by default, in one slot, and serves flags", async () => {
    const instance = await start({ backend: 'redis', redisUrl: url });
    const storage = instance.get<Required<FeatureFlagStorage>>(FEATURE_FLAG_STORAGE);
    const client = instance.get(FeatureFlagClient);
    const key = uniqueName('cluster-');
    const flag = await storage.createFlag({ key, defaultEnabled: false });
    try {
      await storage.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'u1',
        enabled: true,
      });
      const environment = await storage.createEnvironment({
        name: 'Staging',
        slug: uniqueName('staging-'),
      });
      await storage.createEnvironmentFlag({
        environmentId: environment.id,
        flagId: flag.id,
        enabled: true,
      });

      const names = [
        `{feature_flags}:flag:${key}`,
        '{feature_flags}:flags',
        '{feature_flags}:flag_ids',
        `{feature_flags}:override:${flag.id}:user:u1`,
        `{feature_flags}:flag_overrides:${flag.id}`,
        `{feature_flags}:environment:${environment.id}`,
        `{feature_flags}:environment_flag:${environment.id}:${flag.id}`,
      ];
      expect(await cluster.exists(...names)).toBe(names.length);
      expect((await slotsOf(names)).size).toBe(1);

      expect(await client.getBooleanDetails(key, true)).toMatchObject({
        value: false,
        reason: EvaluationReason.STATIC,
      });
      expect(await client.isEnabled(key, { userId: 'u1' })).toBe(true);
      expect(await client.isEnabled(key, { environment: environment.slug })).toBe(true);
      const missing = uniqueName('missing-');
      expect(await client.getFlags([key, missing])).toMatchObject({
        [key]: { value: false, errorCode: null },
        [missing]: { errorCode: 'FLAG_NOT_FOUND' },
      });
      expect(await instance.get(FeatureFlagsHealthIndicator).isHealthy()).toMatchObject({
        feature_flags: { status: 'up' },
      });
      await storage.deleteEnvironment(environment.slug);
    } finally {
      await storage.deleteFlag(key);
    }
    expect(await cluster.exists(`{feature_flags}:flag:${key}`)).toBe(0);
  });

  it('refuses a redisPrefix without a hash tag at startup, saying what to use', async () => {
    const failure = start({ backend: 'redis', redisUrl: url, redisPrefix: 'tenant:' });
    await expect(failure).rejects.toBeInstanceOf(GatekeeperConfigError);
    await expect(failure).rejects.toThrow(/redisPrefix "tenant:" has no hash tag.*"\{tenant\}:"/);
  });

  it('refuses a storage prefix without a hash tag when constructed directly or from a URL', async () => {
    expect(() => new RedisFeatureFlagStorage(cluster, { prefix: 'flags:' })).toThrow(
      /prefix "flags:" has no hash tag/,
    );
    await expect(RedisFeatureFlagStorage.create({ url, prefix: 'flags:' })).rejects.toThrow(
      /prefix "flags:" has no hash tag/,
    );
    // A tag anywhere in the prefix will do.
    const storage = await RedisFeatureFlagStorage.create({
      url,
      prefix: `app:{${uniqueName('ff-')}}:`,
    });
    expect(await storage.healthCheck()).toBe(true);
    await storage.close();
    expect(await storage.healthCheck()).toBe(false);
  });

  it('deletes the overrides a litestar-flags service wrote under the same tagged prefix', async () => {
    const prefix = `{${uniqueName('lsf-')}}:`;
    const storage = new RedisFeatureFlagStorage(cluster, { prefix });
    const client = new FeatureFlagClient({ storage, logger: false });
    const flag = await storage.createFlag({ key: 'checkout', defaultEnabled: false });
    const other = await storage.createFlag({ key: 'search', defaultEnabled: false });
    // What litestar-flags' create_override leaves: a document, outside our per-flag index.
    const writeOverride = (flagId: string, entityId: string) =>
      cluster.set(
        `${prefix}override:${flagId}:user:${entityId}`,
        JSON.stringify({
          id: randomUUID(),
          flag_id: flagId,
          entity_type: 'user',
          entity_id: entityId,
          enabled: true,
          value: null,
          expires_at: null,
          created_at: '2026-01-05T10:20:30.480924+00:00',
          updated_at: '2026-01-05T10:20:30.480924+00:00',
        }),
      );
    // More than one SCAN batch of the node's keys is not needed: the pattern is what matters.
    for (let i = 0; i < 25; i++) await writeOverride(flag.id, `u${i}`);
    await writeOverride(other.id, 'u0');
    expect(await client.isEnabled('checkout', { userId: 'u7' })).toBe(true);

    expect(await storage.deleteFlag('checkout')).toBe(true);
    const left = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        cluster.exists(`${prefix}override:${flag.id}:user:u${i}`),
      ),
    );
    expect(left.every((count) => count === 0)).toBe(true);
    expect(await cluster.exists(`${prefix}override:${other.id}:user:u0`)).toBe(1);
    expect(await client.isEnabled('search', { userId: 'u0' })).toBe(true);
    await storage.deleteFlag('search');
  });

  it('shows a flag written on one instance on another, over the cluster pub/sub', async () => {
    const options: FeatureFlagsModuleOptions = {
      backend: 'redis',
      redis: cluster,
      redisPrefix: `{${uniqueName('ffc-')}}:`,
      // An hour: a change seen during the test was invalidated, not expired.
      localCache: { ttl: 3600 },
    };
    const [a, b] = [await start(options), await start(options)];
    const storageA = a.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
    const clientB = b.get(FeatureFlagClient);
    expect(b.get(FEATURE_FLAG_STORAGE)).toBeInstanceOf(LocalCacheFeatureFlagStorage);

    expect((await clientB.getBooleanDetails('beta', false)).errorCode).not.toBeNull();
    const flag = await storageA.createFlag({ key: 'beta', defaultEnabled: false });
    expect(
      await eventually(
        async () =>
          (await clientB.getBooleanDetails('beta', true)).reason === EvaluationReason.STATIC,
      ),
    ).toBe(true);
    expect(await clientB.getBooleanDetails('beta', true)).toMatchObject({ value: false });

    await storageA.updateFlag({ ...flag, defaultEnabled: true });
    expect(await eventually(() => clientB.isEnabled('beta'))).toBe(true);
    await storageA.deleteFlag('beta');
    expect(
      await eventually(
        async () => (await clientB.getBooleanDetails('beta', false)).errorCode !== null,
      ),
    ).toBe(true);

    // The cluster client is the application's: closing the instances leaves it open.
    await Promise.all(instances.splice(0).map((instance) => instance.close()));
    expect(await cluster.ping()).toBe('PONG');
  });
});
