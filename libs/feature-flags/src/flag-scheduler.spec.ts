import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FEATURE_FLAGS_CLOCK } from './feature-flags.constants';
import { FeatureFlagsModule } from './feature-flags.module';
import { FlagScheduler } from './flag-scheduler';
import { MemoryFeatureFlagStorage } from './storage/memory.storage';
import type { FeatureFlagsModuleOptions } from './feature-flags.options';
import type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';

describe('FlagScheduler', () => {
  const start = async (options: FeatureFlagsModuleOptions, now: () => number) => {
    const moduleRef = await Test.createTestingModule({
      imports: [FeatureFlagsModule.forRoot(options)],
    })
      .overrideProvider(FEATURE_FLAGS_CLOCK)
      .useValue({ now })
      .compile();
    return moduleRef.init();
  };

  it('applies what is due at the injected time, oldest first, and nothing that is not due', async () => {
    const storage = new MemoryFeatureFlagStorage();
    const flag = await storage.createFlag({ key: 'launch', flagType: 'string', defaultValue: 'a' });
    const at = (iso: string) => new Date(iso);
    for (const [value, when] of [
      ['c', '2030-01-03T00:00:00Z'],
      ['b', '2030-01-02T00:00:00Z'],
      ['later', '2030-02-01T00:00:00Z'],
    ] as const) {
      await storage.createScheduledChange({
        flagId: flag.id,
        changeType: 'update_value',
        newValue: value,
        scheduledAt: at(when),
      });
    }
    let now = Date.parse('2030-01-01T00:00:00Z');
    const app = await start({ storage, scheduler: { interval: 3600 } }, () => now);
    const scheduler = app.get(FlagScheduler);
    expect(await scheduler.runDue()).toBe(0);
    now = Date.parse('2030-01-10T00:00:00Z');
    expect(await scheduler.runDue()).toBe(2);
    const stored = (await storage.getFlag('launch'))!;
    expect(stored.defaultValue).toBe('c');
    const executed = await storage.getScheduledChanges(flag.id, false);
    expect(executed.filter((change) => change.executed).map((c) => c.executedAt)).toEqual([
      new Date(now),
      new Date(now),
    ]);
    expect(await scheduler.runDue()).toBe(0);
    await app.close();
  });

  it('applies nothing on its own when disabled', async () => {
    const storage = new MemoryFeatureFlagStorage();
    const flag = await storage.createFlag({ key: 'off' });
    await storage.createScheduledChange({
      flagId: flag.id,
      changeType: 'enable',
      scheduledAt: new Date(0),
    });
    const app = await start({ storage, scheduler: { enabled: false } }, Date.now);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await storage.getScheduledChanges(flag.id)).toHaveLength(1);
    await app.close();
  });

  it('leaves a change it could not apply pending, and applies it at the next check', async () => {
    class FlakyStorage extends MemoryFeatureFlagStorage {
      failures = 1;
      override async applyScheduledChange(id: string, now: Date) {
        if (this.failures-- > 0) throw new Error('connection reset');
        return super.applyScheduledChange(id, now);
      }
    }
    const storage = new FlakyStorage();
    const flag = await storage.createFlag({ key: 'flaky' });
    await storage.createScheduledChange({
      flagId: flag.id,
      changeType: 'enable',
      scheduledAt: new Date(0),
    });
    // Checks run by hand only, so that the failure meets the first one.
    const app = await start({ storage, scheduler: { enabled: false } }, Date.now);
    const scheduler = app.get(FlagScheduler);
    expect(await scheduler.runDue()).toBe(0);
    expect(await storage.getScheduledChanges(flag.id)).toHaveLength(1);
    expect(await scheduler.runDue()).toBe(1);
    expect(await storage.getScheduledChanges(flag.id)).toEqual([]);
    expect((await storage.getFlag('flaky'))!.defaultEnabled).toBe(true);
    await app.close();
  });

  it('stays quiet over a custom storage that keeps no schedules, cached or not', async () => {
    const memory = new MemoryFeatureFlagStorage();
    // Only the methods every storage has (written before schedules existed).
    const custom: FeatureFlagStorage = {
      getFlag: (key) => memory.getFlag(key),
      getFlags: (keys) => memory.getFlags(keys),
      getAllActiveFlags: () => memory.getAllActiveFlags(),
      getOverride: (flagId, type, id) => memory.getOverride(flagId, type, id),
      createFlag: (input) => memory.createFlag(input),
      updateFlag: (flag) => memory.updateFlag(flag),
      deleteFlag: (key) => memory.deleteFlag(key),
      createOverride: (input) => memory.createOverride(input),
      deleteOverride: (flagId, type, id) => memory.deleteOverride(flagId, type, id),
      healthCheck: () => memory.healthCheck(),
      close: () => memory.close(),
    };
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      for (const options of [{ storage: custom }, { storage: custom, localCache: { ttl: 5 } }]) {
        const app = await start(options, Date.now);
        expect(await app.get(FlagScheduler).runDue()).toBe(0);
        await app.close();
      }
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses an invalid interval at startup', async () => {
    await expect(start({ scheduler: { interval: 0 } }, Date.now)).rejects.toThrow(
      'scheduler.interval must be a number of seconds',
    );
  });
});
