import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  LocalCacheFeatureFlagStorage,
  EvaluationReason,
  FEATURE_FLAG_STORAGE,
  FEATURE_FLAGS_CLOCK,
  FeatureFlagClient,
  FeatureFlagsHealthIndicator,
  FeatureFlagsModule,
  GatekeeperConfigError,
  MemoryFeatureFlagStorage,
  type Clock,
  type FeatureFlagStorage,
  type FeatureFlagsModuleOptions,
} from '@gatekeeper/feature-flags';
import { testUrls, uniqueName } from '../harness/servers';
import { eventually } from '../support/eventually';
import { testDatabase } from './fixtures/storage-backends/backends';
import { OutageStorage } from './support/outage.storage';

// An hour: anything seen to change during a test was invalidated, not expired.
const LONG_TTL = 3600;

async function startInstance(
  options: FeatureFlagsModuleOptions,
  clock?: Clock,
): Promise<INestApplicationContext> {
  let builder = Test.createTestingModule({ imports: [FeatureFlagsModule.forRoot(options)] });
  if (clock) builder = builder.overrideProvider(FEATURE_FLAGS_CLOCK).useValue(clock);
  const moduleRef = await builder.compile();
  moduleRef.useLogger(false);
  return moduleRef.init();
}

describe('Flag cache across instances (real Redis pub/sub)', () => {
  const instances: INestApplicationContext[] = [];

  afterEach(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.close()));
  });

  async function pair(options: FeatureFlagsModuleOptions) {
    const a = await startInstance(options);
    const b = await startInstance(options);
    instances.push(a, b);
    return {
      storageA: a.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE),
      storageB: b.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE),
      clientB: b.get(FeatureFlagClient),
    };
  }

  it.each<[string, () => Promise<FeatureFlagsModuleOptions>]>([
    [
      'the redis backend',
      async () => ({
        backend: 'redis',
        redisUrl: testUrls().redis,
        redisPrefix: uniqueName('ffc:') + ':',
        localCache: { ttl: LONG_TTL },
      }),
    ],
    [
      'the database backend with redisUrl',
      async () => ({
        backend: 'database',
        connectionString: await testDatabase('postgres'),
        tablePrefix: uniqueName('ffc_') + '_',
        redisUrl: testUrls().redis,
        redisPrefix: uniqueName('ffc:') + ':',
        localCache: { ttl: LONG_TTL, maxEntries: 100 },
      }),
    ],
  ])(
    'shows a change made on one instance on the other before the ttl, with %s',
    async (_name, options) => {
      const { storageA, storageB, clientB } = await pair(await options());
      expect(storageB).toBeInstanceOf(LocalCacheFeatureFlagStorage);

      // B caches "no such flag", then the flag, then an override lookup.
      expect(await clientB.isEnabled('beta', { userId: 'u1' })).toBe(false);
      const flag = await storageA.createFlag({ key: 'beta', defaultEnabled: false });
      expect(
        await eventually(
          async () => (await clientB.getEnabledDetails('beta', false)).errorCode === null,
        ),
      ).toBe(true);

      await storageA.updateFlag({ ...flag, defaultEnabled: true });
      expect(await eventually(() => clientB.isEnabled('beta', { userId: 'u1' }))).toBe(true);

      await storageA.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'u1',
        enabled: false,
      });
      expect(
        await eventually(async () => !(await clientB.isEnabled('beta', { userId: 'u1' }))),
      ).toBe(true);

      await storageA.deleteFlag('beta');
      expect(await eventually(async () => (await storageB.getFlag('beta')) === null)).toBe(true);
    },
  );

  it('shows a segment change made on one instance on the other before the ttl', async () => {
    const { storageA, clientB } = await pair({
      backend: 'redis',
      redisUrl: testUrls().redis,
      redisPrefix: uniqueName('ffc:') + ':',
      localCache: { ttl: LONG_TTL },
    });
    const segments = storageA as Required<FeatureFlagStorage>;
    const germany = { country: 'DE' };
    const parent = await segments.createSegment({
      name: 'customers',
      conditions: [{ attribute: 'plan', operator: 'in', value: ['pro', 'free'] }],
    });
    const child = await segments.createSegment({
      name: 'germany',
      parentSegmentId: parent.id,
      conditions: [{ attribute: 'country', operator: 'eq', value: 'FR' }],
    });
    await storageA.createFlag({
      key: 'de-launch',
      rules: [{ conditions: [{ attribute: 'segment', operator: 'in_segment', value: 'germany' }] }],
    });
    const pro = { ...germany, attributes: { plan: 'pro' } };
    // B caches the flag and the segments: not a member yet.
    expect(await clientB.isEnabled('de-launch', pro)).toBe(false);

    await segments.updateSegment({
      ...child,
      conditions: [{ attribute: 'country', operator: 'eq', value: 'DE' }],
    });
    expect(await eventually(() => clientB.isEnabled('de-launch', pro))).toBe(true);

    // A change to the parent reaches the members of the child.
    await segments.updateSegment({ ...parent, enabled: false });
    expect(await eventually(async () => !(await clientB.isEnabled('de-launch', pro)))).toBe(true);

    await segments.updateSegment({ ...parent, enabled: true });
    expect(await eventually(() => clientB.isEnabled('de-launch', pro))).toBe(true);
    await segments.deleteSegment(child.id);
    expect(await eventually(async () => !(await clientB.isEnabled('de-launch', pro)))).toBe(true);
  });

  it('keeps serving cached flags while the storage is down, and health still says down', async () => {
    const outage = new OutageStorage();
    const instance = await startInstance({
      storage: outage,
      redisUrl: testUrls().redis,
      redisPrefix: uniqueName('ffc:') + ':',
      localCache: { ttl: LONG_TTL },
    });
    instances.push(instance);
    const storage = instance.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
    const client = instance.get(FeatureFlagClient);
    const health = instance.get(FeatureFlagsHealthIndicator);
    await storage.createFlag({ key: 'beta', defaultEnabled: true });
    expect(await client.getBooleanDetails('beta', false)).toMatchObject({
      value: true,
      reason: EvaluationReason.STATIC,
    });

    outage.state = 'down';
    expect(await health.isHealthy()).toMatchObject({ feature_flags: { status: 'down' } });
    expect(await client.getBooleanDetails('beta', false)).toMatchObject({
      value: true,
      reason: EvaluationReason.CACHED,
    });

    outage.state = 'up';
    expect(await health.isHealthy()).toMatchObject({ feature_flags: { status: 'up' } });
    expect(await client.getBooleanDetails('beta', false)).toMatchObject({
      reason: EvaluationReason.STATIC,
    });
    // The instance passed in stays the caller's: the module never closes it.
    await instance.close();
    instances.length = 0;
    expect(outage.closed).toBe(false);
  });

  it('serves a flag changed around the cache until the ttl passes on FEATURE_FLAGS_CLOCK', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const inner = new MemoryFeatureFlagStorage();
    // No Redis: nothing tells this instance about the change, only the ttl bounds it.
    const instance = await startInstance(
      { storage: inner, localCache: { ttl: 30 } },
      { now: () => now },
    );
    instances.push(instance);
    const client = instance.get(FeatureFlagClient);
    const flag = await inner.createFlag({ key: 'beta', defaultEnabled: false });
    expect(await client.isEnabled('beta')).toBe(false);

    await inner.updateFlag({ ...flag, defaultEnabled: true });
    now += 29_000;
    expect(await client.isEnabled('beta')).toBe(false);
    now += 1_000;
    expect(await client.isEnabled('beta')).toBe(true);
  });

  it('refuses a localCache on the memory backend and a ttl that cannot work', async () => {
    await expect(startInstance({ localCache: { ttl: 5 } })).rejects.toThrow(
      /localCache applies to the 'database' and 'redis' backends/,
    );
    await expect(
      startInstance({ backend: 'redis', redisUrl: testUrls().redis, localCache: { ttl: 0 } }),
    ).rejects.toThrow(/localCache.ttl must be a positive number of seconds/);
  });

  it('fails startup on the option name of 0.1, naming the new one', async () => {
    // What a JavaScript caller (no compiler to tell them) still passing `cache` gets.
    const legacy = { backend: 'redis', redisUrl: testUrls().redis, cache: { ttl: 30 } };
    const failure = startInstance(legacy as FeatureFlagsModuleOptions);
    await expect(failure).rejects.toBeInstanceOf(GatekeeperConfigError);
    await expect(failure).rejects.toThrow('`cache` was renamed `localCache` in 0.2.0');
  });
});
