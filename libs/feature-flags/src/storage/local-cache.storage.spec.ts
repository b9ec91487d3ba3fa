import { FeatureFlagClient } from '../feature-flag.client';
import { EvaluationReason } from '../models/evaluation.model';
import type { FeatureFlag, FlagOverride } from '../models/feature-flag.model';
import type { Segment } from '../models/segment.model';
import type { TimeSchedule } from '../models/time-schedule.model';
import { LocalCacheFeatureFlagStorage } from './local-cache.storage';
import { MemoryFeatureFlagStorage } from './memory.storage';

/** The memory storage, counting reads and able to fail like a storage whose server went away. */
class FlakyStorage extends MemoryFeatureFlagStorage {
  down = false;
  flagReads = 0;
  overrideReads = 0;
  segmentReads = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  /** Holds the next reads until `release()`, to interleave them with writes. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  override async getFlag(key: string): Promise<FeatureFlag | null> {
    this.flagReads++;
    const gate = this.gate;
    const flag = await super.getFlag(key);
    await gate;
    this.fail();
    return flag;
  }

  override async getFlags(keys: readonly string[]): Promise<Map<string, FeatureFlag>> {
    this.flagReads++;
    this.fail();
    return super.getFlags(keys);
  }

  override async getAllActiveFlags(): Promise<FeatureFlag[]> {
    this.fail();
    return super.getAllActiveFlags();
  }

  override async getOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): Promise<FlagOverride | null> {
    this.overrideReads++;
    this.fail();
    return super.getOverride(flagId, entityType, entityId);
  }

  override async getAllSegments(): Promise<Segment[]> {
    this.segmentReads++;
    this.fail();
    return super.getAllSegments();
  }

  override async getTimeSchedules(flagId?: string): Promise<TimeSchedule[]> {
    this.fail();
    return super.getTimeSchedules(flagId);
  }

  override async healthCheck(): Promise<boolean> {
    return !this.down;
  }

  private fail(): void {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
  }
}

describe('LocalCacheFeatureFlagStorage', () => {
  let inner: FlakyStorage;
  let now: number;
  let storage: LocalCacheFeatureFlagStorage;
  let client: FeatureFlagClient;

  /** Stands in for the Redis pub/sub bus: `reset()` is a resubscription after lost messages. */
  const bus = {
    resets: [] as Array<() => void>,
    publish: async () => undefined,
    onMessage: () => () => undefined,
    onReset(listener: () => void) {
      this.resets.push(listener);
      return () => undefined;
    },
    close: async () => undefined,
    reset() {
      for (const listener of this.resets) listener();
    },
  };

  const build = (options: { ttl?: number; maxEntries?: number } = {}) => {
    bus.resets = [];
    storage = new LocalCacheFeatureFlagStorage(inner, {
      ttl: options.ttl ?? 10,
      maxEntries: options.maxEntries,
      now: () => now,
      invalidation: bus,
    });
    client = new FeatureFlagClient({ storage, logger: false });
  };

  beforeEach(() => {
    inner = new FlakyStorage();
    now = 1_000_000;
    build();
  });

  it('answers repeated evaluations from memory, overrides and missing flags included', async () => {
    await inner.createFlag({ key: 'beta', defaultEnabled: true });
    const context = { userId: 'u1' };
    for (let i = 0; i < 5; i++) {
      expect(await client.isEnabled('beta', context)).toBe(true);
      expect(await client.isEnabled('ghost', context)).toBe(false);
    }
    expect(inner.flagReads).toBe(2);
    // user and targeting_key (which falls back to the user id), looked up once each.
    expect(inner.overrideReads).toBe(2);
  });

  it('reads only what is missing, once however many evaluations wait for it', async () => {
    const flag = await inner.createFlag({ key: 'beta', defaultEnabled: false });
    await inner.createOverride({ flagId: flag.id, entityType: 'organization', entityId: 'o1' });
    const burst = await Promise.all(
      Array.from({ length: 5 }, () => client.isEnabled('beta', { userId: 'u1' })),
    );
    expect(burst).toEqual([false, false, false, false, false]);
    expect([inner.flagReads, inner.overrideReads]).toEqual([1, 2]);

    // The flag and the user's lookups are cached: only the organization's is read.
    expect(
      await client.getEnabledDetails('beta', false, { userId: 'u1', organizationId: 'o1' }),
    ).toMatchObject({ value: true, reason: EvaluationReason.OVERRIDE });
    expect([inner.flagReads, inner.overrideReads]).toEqual([1, 3]);
  });

  it('forgets evicted override lookups and reads them again', async () => {
    build({ maxEntries: 2 });
    const flag = await inner.createFlag({ key: 'beta' });
    await inner.createOverride({
      flagId: flag.id,
      entityType: 'user',
      entityId: 'u1',
      enabled: false,
    });
    expect(await client.isEnabled('beta', { userId: 'u1', targetingKey: 't' })).toBe(false);
    expect(storage.size).toBe(2);
    expect(await client.isEnabled('beta', { userId: 'u1', targetingKey: 't' })).toBe(false);
    expect(inner.overrideReads).toBeGreaterThan(2);
  });

  it('reads again once the ttl has passed', async () => {
    await inner.createFlag({ key: 'beta', defaultEnabled: true });
    await client.isEnabled('beta');
    now += 9_999;
    await client.isEnabled('beta');
    expect(inner.flagReads).toBe(1);
    now += 1;
    await client.isEnabled('beta');
    expect(inner.flagReads).toBe(2);
  });

  it('sees a change made around it only after the ttl, and its own writes at once', async () => {
    const created = await storage.createFlag({ key: 'beta', defaultEnabled: false });
    expect(await client.isEnabled('beta')).toBe(false);

    await inner.updateFlag({ ...created, defaultEnabled: true }); // bypasses the cache
    expect(await client.isEnabled('beta')).toBe(false);
    now += 10_000;
    expect(await client.isEnabled('beta')).toBe(true);

    const flag = (await storage.getFlag('beta'))!;
    await storage.updateFlag({ ...flag, defaultEnabled: false });
    expect(await client.isEnabled('beta')).toBe(false);
  });

  it('forgets a cached miss when the flag is created through it', async () => {
    expect(await client.isEnabled('late')).toBe(false);
    await storage.createFlag({ key: 'late', defaultEnabled: true });
    expect(await client.isEnabled('late')).toBe(true);
  });

  it('invalidates cached override lookups when an override is written or deleted', async () => {
    const flag = await storage.createFlag({ key: 'beta', defaultEnabled: false });
    expect(await client.isEnabled('beta', { userId: 'vip' })).toBe(false);

    await storage.createOverride({
      flagId: flag.id,
      entityType: 'user',
      entityId: 'vip',
      enabled: true,
    });
    expect(await client.getEnabledDetails('beta', false, { userId: 'vip' })).toMatchObject({
      value: true,
      reason: EvaluationReason.OVERRIDE,
    });

    await storage.deleteOverride(flag.id, 'user', 'vip');
    expect(await client.isEnabled('beta', { userId: 'vip' })).toBe(false);
  });

  it('drops the overrides of a deleted flag, even if a new flag reuses its id', async () => {
    const flag = await storage.createFlag({ key: 'beta' });
    await storage.createOverride({ flagId: flag.id, entityType: 'user', entityId: 'u1' });
    expect(await client.isEnabled('beta', { userId: 'u1' })).toBe(true);

    expect(await storage.deleteFlag('beta')).toBe(true);
    expect(await client.getEnabledDetails('beta', false, { userId: 'u1' })).toMatchObject({
      errorCode: 'FLAG_NOT_FOUND',
    });
    await storage.createFlag({ key: 'beta', id: flag.id });
    expect(await client.isEnabled('beta', { userId: 'u1' })).toBe(false);
  });

  it('does not cache a value read while an invalidation happened', async () => {
    const created = await storage.createFlag({ key: 'beta', defaultEnabled: false });
    inner.hold();
    const slowRead = client.isEnabled('beta'); // reads the old flag, then waits
    await new Promise((resolve) => setImmediate(resolve));
    await storage.updateFlag({ ...created, defaultEnabled: true });
    inner.release();
    expect(await slowRead).toBe(false);
    expect(await client.isEnabled('beta')).toBe(true);
  });

  it('keeps at most maxEntries entries, least recently used out first', async () => {
    build({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c']) await inner.createFlag({ key, defaultEnabled: true });
    await client.isEnabled('a');
    await client.isEnabled('b');
    await client.isEnabled('c');
    await client.isEnabled('a'); // a used again; b is the least recently used
    await inner.createFlag({ key: 'd' });
    await client.isEnabled('d');
    expect(storage.size).toBe(3);

    const reads = inner.flagReads;
    await client.isEnabled('a');
    expect(inner.flagReads).toBe(reads);
    await client.isEnabled('b');
    expect(inner.flagReads).toBe(reads + 1);
    expect(storage.size).toBe(3);
  });

  it('serves cached flags while the storage is down: CACHED within the ttl, STALE after', async () => {
    await inner.createFlag({
      key: 'rollout',
      rules: [{ name: 'everyone', conditions: [], serveEnabled: true }],
    });
    expect(await client.getEnabledDetails('rollout', false, { targetingKey: 't1' })).toMatchObject({
      value: true,
      reason: EvaluationReason.TARGETING_MATCH,
    });

    inner.down = true;
    expect(await storage.healthCheck()).toBe(false);
    expect(await client.getEnabledDetails('rollout', false, { targetingKey: 't1' })).toEqual({
      value: true,
      flagKey: 'rollout',
      reason: EvaluationReason.CACHED,
      variant: 'everyone',
      errorCode: null,
      errorMessage: null,
    });

    now += 60_000;
    expect(await client.getEnabledDetails('rollout', false, { targetingKey: 't1' })).toMatchObject({
      value: true,
      reason: EvaluationReason.STALE,
      variant: 'everyone',
    });
    // A context whose override lookups were never cached: served from the cached flag, STALE.
    expect(await client.getBooleanDetails('rollout', false, { targetingKey: 'new' })).toMatchObject(
      { value: true, reason: EvaluationReason.STALE },
    );
    // A flag never cached has nothing to fall back on.
    expect(await client.getEnabledDetails('unknown', false)).toMatchObject({
      value: false,
      reason: EvaluationReason.ERROR,
      errorCode: 'GENERAL',
    });
    // What health checks rely on is never answered from the cache.
    await expect(storage.getAllActiveFlags()).rejects.toThrow(/ECONNREFUSED/);

    inner.down = false;
    expect(await client.getEnabledDetails('rollout', false, { targetingKey: 't1' })).toMatchObject({
      value: true,
      reason: EvaluationReason.TARGETING_MATCH,
    });
  });

  it('after a bus reset reads everything again, but serves STALE while the storage is down', async () => {
    const flag = await inner.createFlag({ key: 'beta', defaultEnabled: true });
    await inner.createTimeSchedule({
      flagId: flag.id,
      name: 'always',
      recurrenceType: 'daily',
      startTime: '00:00',
      endTime: '00:00',
    });
    expect(await client.getBooleanDetails('beta', false)).toMatchObject({ reason: 'STATIC' });
    const reads = inner.flagReads;
    // Invalidations may have been lost while the bus was away, and the storage is still failing.
    inner.down = true;
    bus.reset();
    expect(await client.getBooleanDetails('beta', false)).toMatchObject({
      value: true,
      reason: 'STALE',
    });
    expect(inner.flagReads).toBe(reads + 1);
    // Back: read again, fresh.
    inner.down = false;
    await inner.updateFlag({ ...(await inner.getFlag('beta'))!, defaultEnabled: false });
    expect(await client.getBooleanDetails('beta', true)).toMatchObject({
      value: false,
      reason: 'STATIC',
    });
  });

  it('serves stale flags to getFlags while the storage is down', async () => {
    await inner.createFlag({ key: 'a', defaultEnabled: true });
    await client.getFlags(['a']);
    inner.down = true;
    now += 60_000;
    expect(await client.getFlags(['a'])).toMatchObject({
      a: { value: true, reason: EvaluationReason.STALE },
    });
  });

  it('hands out copies: mutating a result never changes the cache', async () => {
    await inner.createFlag({ key: 'beta', defaultEnabled: true, tags: ['x'] });
    const read = (await storage.getFlag('beta'))!;
    read.defaultEnabled = false;
    read.tags.push('mutated');
    expect(await storage.getFlag('beta')).toMatchObject({ defaultEnabled: true, tags: ['x'] });
    expect(await client.isEnabled('beta')).toBe(true);
  });

  describe('segments', () => {
    const germany = { country: 'DE' };

    beforeEach(async () => {
      await inner.createSegment({
        name: 'de',
        conditions: [{ attribute: 'country', operator: 'eq', value: 'DE' }],
      });
      await inner.createFlag({
        key: 'segmented',
        rules: [{ conditions: [{ attribute: 'segment', operator: 'in_segment', value: 'de' }] }],
      });
    });

    it('evaluates a cached flag that names a segment without a promise, reading segments once', async () => {
      expect(await client.isEnabled('segmented', germany)).toBe(true);
      // What FeatureFlagGuard uses: an answer from memory is a plain value.
      expect(client.evaluateEnabled('segmented', false, germany)).toBe(true);
      expect(client.evaluateEnabled('segmented', false, { country: 'FR' })).toBe(false);
      expect(inner.segmentReads).toBe(1);
    });

    it('sees its own segment writes at once, and a change around it after the ttl', async () => {
      expect(await client.isEnabled('segmented', germany)).toBe(true);
      const de = (await storage.getSegmentByName('de'))!;
      await storage.updateSegment({ ...de, enabled: false });
      expect(await client.isEnabled('segmented', germany)).toBe(false);

      await inner.updateSegment({ ...de, enabled: true });
      expect(await client.isEnabled('segmented', germany)).toBe(false);
      now += 10_000;
      expect(await client.isEnabled('segmented', germany)).toBe(true);

      expect(await storage.deleteSegment(de.id)).toBe(true);
      expect(await client.isEnabled('segmented', germany)).toBe(false);
    });

    it('serves cached segments STALE while the storage is down past the ttl', async () => {
      expect(await client.isEnabled('segmented', germany)).toBe(true);
      now += 10_000;
      inner.down = true;
      expect(await client.getBooleanDetails('segmented', false, germany)).toMatchObject({
        value: true,
        reason: EvaluationReason.STALE,
      });
    });
  });

  it('leaves the wrapped storage open: whoever created it closes it', async () => {
    const close = jest.spyOn(inner, 'close');
    await storage.close();
    expect(close).not.toHaveBeenCalled();
  });
});
