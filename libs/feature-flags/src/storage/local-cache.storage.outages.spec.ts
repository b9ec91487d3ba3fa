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
  segmentReads = 0;

  override async getFlag(key: string): Promise<FeatureFlag | null> {
    this.flagReads++;
    const flag = await super.getFlag(key);
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

// Caching, invalidation and eviction: local-cache.storage.spec.ts.
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
});
