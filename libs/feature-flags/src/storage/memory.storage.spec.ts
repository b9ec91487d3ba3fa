import { FeatureFlagClient } from '../feature-flag.client';
import { MemoryFeatureFlagStorage } from './memory.storage';
import { FlagAlreadyExistsError, FlagNotFoundError, InvalidFlagError } from './storage.errors';

describe('MemoryFeatureFlagStorage', () => {
  let storage: MemoryFeatureFlagStorage;

  beforeEach(() => {
    storage = new MemoryFeatureFlagStorage();
  });

  it('creates a flag with defaults filled in and reads it back', async () => {
    const created = await storage.createFlag({ key: 'beta' });
    expect(created).toMatchObject({
      key: 'beta',
      name: 'beta',
      flagType: 'boolean',
      status: 'active',
      defaultEnabled: false,
      rules: [],
      variants: [],
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await storage.getFlag('beta')).toEqual(created);
    expect(await storage.getFlag('missing')).toBeNull();
  });

  it('refuses a duplicate key with a typed error', async () => {
    await storage.createFlag({ key: 'beta' });
    await expect(storage.createFlag({ key: 'beta' })).rejects.toBeInstanceOf(
      FlagAlreadyExistsError,
    );
  });

  it('rejects input it cannot store', async () => {
    await expect(storage.createFlag({ key: '' })).rejects.toBeInstanceOf(InvalidFlagError);
    await expect(
      storage.createFlag({ key: 'x', rules: [{ rolloutPercentage: 150 }] }),
    ).rejects.toBeInstanceOf(InvalidFlagError);
  });

  it('hands out copies: mutating a result never changes the store', async () => {
    const created = await storage.createFlag({ key: 'beta', tags: ['a'], rules: [{ name: 'r' }] });
    created.tags.push('mutated');
    created.rules[0].enabled = false;
    const read = await storage.getFlag('beta');
    read!.defaultEnabled = true;
    (await storage.getAllActiveFlags())[0].status = 'archived';
    (await storage.getFlags(['beta'])).get('beta')!.name = 'changed';

    expect(await storage.getFlag('beta')).toMatchObject({
      tags: ['a'],
      defaultEnabled: false,
      status: 'active',
      name: 'beta',
      rules: [{ name: 'r', enabled: true }],
    });
  });

  it('reads several flags at once, leaving out missing keys', async () => {
    await storage.createFlag({ key: 'a' });
    await storage.createFlag({ key: 'b' });
    const found = await storage.getFlags(['a', 'b', 'c']);
    expect([...found.keys()].sort()).toEqual(['a', 'b']);
  });

  it('lists only active flags', async () => {
    await storage.createFlag({ key: 'on' });
    await storage.createFlag({ key: 'off', status: 'inactive' });
    await storage.createFlag({ key: 'old', status: 'archived' });
    expect((await storage.getAllActiveFlags()).map((f) => f.key)).toEqual(['on']);
  });

  it('updates a flag, keeping its id and createdAt and bumping updatedAt', async () => {
    const created = await storage.createFlag({ key: 'beta' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const updated = await storage.updateFlag({ ...created, id: 'other', defaultEnabled: true });
    expect(updated.id).toBe(created.id);
    expect(updated.createdAt).toEqual(created.createdAt);
    expect(updated.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
    expect((await storage.getFlag('beta'))?.defaultEnabled).toBe(true);
  });

  it('refuses to update a flag that does not exist', async () => {
    const ghost = await new MemoryFeatureFlagStorage().createFlag({ key: 'ghost' });
    await expect(storage.updateFlag(ghost)).rejects.toBeInstanceOf(FlagNotFoundError);
  });

  it('is evaluated as it is now, and a subclass through the reads it overrides', async () => {
    await storage.createFlag({ key: 'beta', defaultEnabled: true });
    const client = new FeatureFlagClient({ storage, logger: false });
    expect(await client.getEnabledDetails('beta', false)).toMatchObject({ value: true });
    await storage.updateFlag({ ...(await storage.getFlag('beta'))!, defaultEnabled: false });
    expect(await client.getEnabledDetails('beta', true)).toMatchObject({ value: false });

    class HidingStorage extends MemoryFeatureFlagStorage {
      override async getFlag(key: string) {
        return key === 'hidden' ? null : super.getFlag(key);
      }
    }
    const hiding = new HidingStorage();
    await hiding.createFlag({ key: 'hidden', defaultEnabled: true });
    await hiding.createFlag({ key: 'shown', defaultEnabled: true });
    const viaSubclass = new FeatureFlagClient({ storage: hiding, logger: false });
    expect(await viaSubclass.getEnabledDetails('hidden', false)).toMatchObject({
      value: false,
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(await viaSubclass.isEnabled('shown')).toBe(true);
  });

  it('deletes a flag together with its overrides', async () => {
    const flag = await storage.createFlag({ key: 'beta' });
    await storage.createOverride({ flagId: flag.id, entityType: 'user', entityId: 'u1' });
    expect(await storage.deleteFlag('beta')).toBe(true);
    expect(await storage.deleteFlag('beta')).toBe(false);
    expect(await storage.getOverride(flag.id, 'user', 'u1')).toBeNull();
  });

  it('upserts overrides per flag, entity type and entity id', async () => {
    const first = await storage.createOverride({
      flagId: 'f',
      entityType: 'user',
      entityId: 'u1',
      enabled: true,
    });
    const second = await storage.createOverride({
      flagId: 'f',
      entityType: 'user',
      entityId: 'u1',
      enabled: false,
    });
    expect(second.id).toBe(first.id);
    expect(await storage.getOverride('f', 'user', 'u1')).toMatchObject({ enabled: false });
    expect(await storage.getOverride('f', 'tenant', 'u1')).toBeNull();
  });

  it('does not confuse ids that contain separators', async () => {
    await storage.createOverride({ flagId: 'f', entityType: 'user', entityId: 'a:b' });
    expect(await storage.getOverride('f', 'user:a', 'b')).toBeNull();
  });

  it('hides expired overrides', async () => {
    await storage.createOverride({
      flagId: 'f',
      entityType: 'user',
      entityId: 'past',
      expiresAt: new Date(Date.now() - 1_000),
    });
    await storage.createOverride({
      flagId: 'f',
      entityType: 'user',
      entityId: 'future',
      expiresAt: new Date(Date.now() + 60_000),
    });
    expect(await storage.getOverride('f', 'user', 'past')).toBeNull();
    expect(await storage.getOverride('f', 'user', 'future')).not.toBeNull();
  });

  it('deletes overrides', async () => {
    await storage.createOverride({ flagId: 'f', entityType: 'user', entityId: 'u1' });
    expect(await storage.deleteOverride('f', 'user', 'u1')).toBe(true);
    expect(await storage.deleteOverride('f', 'user', 'u1')).toBe(false);
  });

  it('is always healthy', async () => {
    expect(await storage.healthCheck()).toBe(true);
    await storage.close();
  });
});
