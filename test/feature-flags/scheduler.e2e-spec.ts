import { Test } from '@nestjs/testing';
import type { INestApplicationContext } from '@nestjs/common';
import {
  FEATURE_FLAG_STORAGE,
  FeatureFlagsModule,
  FlagScheduler,
  type FeatureFlagsModuleOptions,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { testUrls, uniqueName } from '../harness/servers';
import { testDatabase } from './fixtures/storage-backends/backends';

/**
 * The scheduler on real servers: three instances share one store, and every due change is
 * applied exactly once, in due order, including changes that fell due while no instance ran.
 * Each application bumps the flag's version by one, so the version counts applications.
 */
const STORES: Array<{ name: string; options: () => Promise<FeatureFlagsModuleOptions> }> = [
  {
    name: 'postgres',
    options: async () => ({
      backend: 'database',
      connectionString: await testDatabase('postgres'),
      tablePrefix: `${uniqueName('sch_')}_`,
    }),
  },
  {
    name: 'redis',
    options: async () => ({
      backend: 'redis',
      redisUrl: testUrls().redis,
      redisPrefix: `${uniqueName('sch:')}:`,
      localCache: { ttl: 60 },
    }),
  },
];

const CHANGES = 50;

describe.each(STORES)('FlagScheduler on $name', ({ options }) => {
  let shared: FeatureFlagsModuleOptions;
  const apps: INestApplicationContext[] = [];

  const start = async (interval = 0.05) => {
    const moduleRef = await Test.createTestingModule({
      imports: [FeatureFlagsModule.forRoot({ ...shared, scheduler: { interval } })],
    }).compile();
    const app = await moduleRef.init();
    apps.push(app);
    return app;
  };
  const storageOf = (app: INestApplicationContext) =>
    app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);

  /** Polls (bounded) until the flag has no pending change. */
  const drained = async (storage: FeatureFlagStorage, flagId: string) => {
    const deadline = Date.now() + 20_000;
    while ((await storage.getScheduledChanges!(flagId)).length > 0) {
      if (Date.now() > deadline) throw new Error('scheduled changes still pending after 20 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    shared = await options();
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it(`applies each of ${CHANGES} changes once across 3 racing instances, in due order`, async () => {
    const [first] = await Promise.all([start(), start(), start()]);
    const storage = storageOf(first);
    const flag = await storage.createFlag({
      key: uniqueName('race-'),
      flagType: 'number',
      defaultValue: 0,
    });
    const due = Date.now() + 200;
    for (let i = 1; i <= CHANGES; i++) {
      await storage.createScheduledChange!({
        flagId: flag.id,
        changeType: 'update_value',
        newValue: i,
        scheduledAt: new Date(due + i * 10),
      });
    }
    await drained(storage, flag.id);
    // Every instance sees the result: their caches were invalidated (over pub/sub: bounded wait).
    for (const app of apps) {
      const deadline = Date.now() + 2000;
      let seen = (await storageOf(app).getFlag(flag.key))!.defaultValue;
      while (seen !== CHANGES && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen = (await storageOf(app).getFlag(flag.key))!.defaultValue;
      }
      expect(seen).toBe(CHANGES);
    }

    const after = (await storage.getFlag(flag.key))!;
    expect(after.version - flag.version).toBe(CHANGES);
    expect(after.defaultValue).toBe(CHANGES);
    const changes = await storage.getScheduledChanges!(flag.id, false);
    expect(changes).toHaveLength(CHANGES);
    expect(changes.every((change) => change.executed && change.executedAt !== null)).toBe(true);
  });

  it('applies changes missed while no instance ran at the next start, oldest first', async () => {
    const writer = await start(3600);
    const storage = storageOf(writer);
    const flag = await storage.createFlag({
      key: uniqueName('missed-'),
      flagType: 'string',
      defaultValue: 'before',
      rules: [{ name: 'rollout', conditions: [], rolloutPercentage: 0 }],
    });
    await writer.close();
    apps.splice(0);

    const store = await start(3600);
    const reader = storageOf(store);
    // Created out of order: due order decides.
    const past = (ms: number) => new Date(Date.now() - ms);
    await reader.createScheduledChange!({
      flagId: flag.id,
      changeType: 'update_value',
      newValue: 'last',
      scheduledAt: past(1_000),
    });
    await reader.createScheduledChange!({
      flagId: flag.id,
      changeType: 'update_value',
      newValue: 'first',
      scheduledAt: past(60_000),
    });
    await reader.createRolloutPhase!({
      flagId: flag.id,
      phaseNumber: 1,
      targetPercentage: 30,
      scheduledAt: past(30_000),
    });
    await reader.createScheduledChange!({
      flagId: flag.id,
      changeType: 'disable',
      scheduledAt: new Date(Date.now() + 3_600_000),
    });
    // The scheduler of this instance only checks hourly: a fresh start is what applies them.
    await store.close();
    apps.splice(0);
    const restarted = await start(3600);
    const scheduler = restarted.get(FlagScheduler);
    await scheduler.runDue();
    const after = (await storageOf(restarted).getFlag(flag.key))!;
    expect(after.defaultValue).toBe('last');
    expect(after.rules[0].rolloutPercentage).toBe(30);
    expect(after.status).toBe('active');
    expect(after.version - flag.version).toBe(3);
    const pending = await storageOf(restarted).getScheduledChanges!(flag.id);
    expect(pending.map((change) => change.changeType)).toEqual(['disable']);
  });
});
