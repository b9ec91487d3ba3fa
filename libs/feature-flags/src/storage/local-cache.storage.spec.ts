import { FeatureFlagClient } from '../feature-flag.client';
import { EvaluationReason } from '../models/evaluation.model';
import type { FeatureFlag, FlagOverride } from '../models/feature-flag.model';
import { LocalCacheFeatureFlagStorage } from './local-cache.storage';
import { MemoryFeatureFlagStorage } from './memory.storage';
import { FlagAlreadyExistsError } from './storage.errors';

/** The memory storage, counting reads and able to hold them to interleave them with writes. */
class CountingStorage extends MemoryFeatureFlagStorage {
  flagReads = 0;
  overrideReads = 0;
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
    return flag;
  }

  override async getFlags(keys: readonly string[]): Promise<Map<string, FeatureFlag>> {
    this.flagReads++;
    return super.getFlags(keys);
  }

  overriddenReads = 0;
  /** While set, reads of which flags have overrides wait for it. */
  overriddenGate: Promise<void> | undefined;

  override async getOverriddenFlagIds(): Promise<string[]> {
    this.overriddenReads++;
    await this.overriddenGate;
    return super.getOverriddenFlagIds();
  }

  override async getOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): Promise<FlagOverride | null> {
    this.overrideReads++;
    return super.getOverride(flagId, entityType, entityId);
  }
}

// Serving from memory while the storage is down, and segments: local-cache.storage.outages.spec.ts.
describe('LocalCacheFeatureFlagStorage', () => {
  let inner: CountingStorage;
  let now: number;
  let storage: LocalCacheFeatureFlagStorage;
  let client: FeatureFlagClient;

  const build = (options: { ttl?: number; maxEntries?: number } = {}) => {
    storage = new LocalCacheFeatureFlagStorage(inner, {
      ttl: options.ttl ?? 10,
      maxEntries: options.maxEntries,
      now: () => now,
    });
    client = new FeatureFlagClient({ storage, logger: false });
  };

  beforeEach(() => {
    inner = new CountingStorage();
    now = 1_000_000;
    build();
  });

  it('answers repeated evaluations from memory, overrides and missing flags included', async () => {
    const beta = await inner.createFlag({ key: 'beta', defaultEnabled: true });
    const gamma = await inner.createFlag({ key: 'gamma', defaultEnabled: true });
    await inner.createOverride({
      flagId: gamma.id,
      entityType: 'user',
      entityId: 'u2',
      enabled: false,
    });
    const context = { userId: 'u1' };
    for (let i = 0; i < 5; i++) {
      expect(await client.isEnabled('beta', context)).toBe(true);
      expect(await client.isEnabled('gamma', context)).toBe(true);
      expect(await client.isEnabled('gamma', { userId: 'u2' })).toBe(false);
      expect(await client.isEnabled('ghost', context)).toBe(false);
    }
    expect(inner.flagReads).toBe(3);
    // Which flags have overrides, once: beta has none, so no lookup per user.
    expect(inner.overriddenReads).toBe(1);
    // gamma: user and targeting_key (which falls back to the user id), once each per user.
    expect(inner.overrideReads).toBe(4);
    expect(beta.id).not.toBe(gamma.id);
  });

  it('answers each environment from its own view, and sees its settings change at once', async () => {
    const flag = await inner.createFlag({ key: 'beta', defaultEnabled: false });
    const production = await storage.createEnvironment({ name: 'Production', slug: 'production' });
    await storage.createEnvironment({ name: 'Staging', slug: 'staging' });
    await storage.createEnvironmentFlag({
      environmentId: production.id,
      flagId: flag.id,
      enabled: true,
    });
    for (const environment of ['production', 'production', 'staging', 'staging', undefined]) {
      const on = environment === 'production';
      expect(await client.isEnabled('beta', { environment })).toBe(on);
      expect(await client.isEnabled('beta', { environment })).toBe(on);
    }
    expect(await client.isEnabled('beta', { environment: 'production' })).toBe(true);
    expect(await client.isEnabled('beta', { environment: 'production' })).toBe(true);
    await storage.updateEnvironmentFlag({
      environmentId: production.id,
      flagId: flag.id,
      enabled: false,
    });
    expect(await client.isEnabled('beta', { environment: 'production' })).toBe(false);
    // Past the ttl, a change made around the cache shows too.
    await inner.updateEnvironmentFlag({
      environmentId: production.id,
      flagId: flag.id,
      enabled: true,
    });
    expect(await client.isEnabled('beta', { environment: 'production' })).toBe(false);
    now += 10_001;
    expect(await client.isEnabled('beta', { environment: 'production' })).toBe(true);
  });

  it('keeps answering from the expired list of overridden flags while reading it again', async () => {
    await inner.createFlag({ key: 'beta', defaultEnabled: true });
    expect(await client.isEnabled('beta', { userId: 'u1' })).toBe(true);
    let release!: () => void;
    inner.overriddenGate = new Promise((resolve) => (release = resolve));
    now += 10_001;
    const answer = client.isEnabled('beta', { userId: 'u1' });
    const waited = new Promise((resolve) => setTimeout(() => resolve('waited'), 1000));
    expect(await Promise.race([answer, waited])).toBe(true);
    expect(inner.overriddenReads).toBe(2);
    release();
    inner.overriddenGate = undefined;
    expect(await client.isEnabled('beta', { userId: 'u1' })).toBe(true);
    expect(inner.overriddenReads).toBe(2);
  });

  it('looks a user up on a flag once an override of it is written, here or elsewhere', async () => {
    const beta = await inner.createFlag({ key: 'beta', defaultEnabled: true });
    expect(await client.isEnabled('beta', { userId: 'u1' })).toBe(true);
    // Written through the cache (or announced over the bus by another instance).
    await storage.createOverride({
      flagId: beta.id,
      entityType: 'user',
      entityId: 'u1',
      enabled: false,
    });
    expect(await client.isEnabled('beta', { userId: 'u1' })).toBe(false);
    // beta is known to have overrides now: a user not looked up before is read through.
    await inner.createOverride({
      flagId: beta.id,
      entityType: 'user',
      entityId: 'u3',
      enabled: false,
    });
    expect(await client.isEnabled('beta', { userId: 'u3' })).toBe(false);
    // The first override of a flag written around the cache (a litestar-flags service, say) is
    // seen once the ttl has passed and the list of overridden flags has been read again (in the
    // background: the evaluation that finds it expired still answers from it).
    const other = await inner.createFlag({ key: 'other', defaultEnabled: true });
    expect(await client.isEnabled('other', { userId: 'u3' })).toBe(true);
    await inner.createOverride({
      flagId: other.id,
      entityType: 'user',
      entityId: 'u3',
      enabled: false,
    });
    expect(await client.isEnabled('other', { userId: 'u3' })).toBe(true);
    now += 10_001;
    await client.isEnabled('other', { userId: 'u3' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await client.isEnabled('other', { userId: 'u3' })).toBe(false);
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

  it('drops what a write names when it failed after it was applied, not when it was refused', async () => {
    const created = await storage.createFlag({ key: 'beta', defaultEnabled: false });
    expect(await client.isEnabled('beta')).toBe(false);
    // A write the store applied but whose reply never came (a timeout after the commit).
    jest.spyOn(inner, 'updateFlag').mockImplementationOnce(async (changed) => {
      await MemoryFeatureFlagStorage.prototype.updateFlag.call(inner, changed);
      throw new Error('Command timed out');
    });
    await expect(storage.updateFlag({ ...created, defaultEnabled: true })).rejects.toThrow(
      'Command timed out',
    );
    expect(await client.isEnabled('beta')).toBe(true);

    // A refusal changed nothing: what is cached stays.
    const reads = inner.flagReads;
    await expect(storage.createFlag({ key: 'beta' })).rejects.toThrow(FlagAlreadyExistsError);
    expect(await client.isEnabled('beta')).toBe(true);
    expect(inner.flagReads).toBe(reads);
  });

  it('drops everything when applying a scheduled change failed: it names no flag', async () => {
    const flag = await storage.createFlag({ key: 'beta', defaultEnabled: false });
    const change = await storage.createScheduledChange({
      flagId: flag.id,
      changeType: 'enable',
      scheduledAt: new Date(now),
    });
    expect(await client.isEnabled('beta')).toBe(false);
    jest.spyOn(inner, 'applyScheduledChange').mockImplementationOnce(async (id, at) => {
      await MemoryFeatureFlagStorage.prototype.applyScheduledChange.call(inner, id, at);
      throw new Error('Command timed out');
    });
    await expect(storage.applyScheduledChange(change.id, new Date(now))).rejects.toThrow(
      'Command timed out',
    );
    expect(await client.isEnabled('beta')).toBe(true);
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

  it('hands out copies: mutating a result never changes the cache', async () => {
    await inner.createFlag({ key: 'beta', defaultEnabled: true, tags: ['x'] });
    const read = (await storage.getFlag('beta'))!;
    read.defaultEnabled = false;
    read.tags.push('mutated');
    expect(await storage.getFlag('beta')).toMatchObject({ defaultEnabled: true, tags: ['x'] });
    expect(await client.isEnabled('beta')).toBe(true);
  });

  it('leaves the wrapped storage open: whoever created it closes it', async () => {
    const close = jest.spyOn(inner, 'close');
    await storage.close();
    expect(close).not.toHaveBeenCalled();
  });
});
