import {
  FlagAlreadyExistsError,
  FlagNotFoundError,
  type CreateFlagInput,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { uniqueName } from '../harness/servers';
import { BACKENDS } from './fixtures/storage-backends/backends';

/**
 * The contract of FeatureFlagStorage, run unchanged against every backend on real servers. Each
 * backend gets its own tables or key prefix; each test its own flag keys.
 */
describe.each(BACKENDS)('FeatureFlagStorage on $name', (backend) => {
  let storage: FeatureFlagStorage;

  beforeAll(async () => {
    storage = await backend.create();
  });

  afterAll(async () => {
    await storage.close();
  });

  const checkoutFlag = (key: string): CreateFlagInput => ({
    key,
    name: 'New checkout',
    description: 'The redesigned checkout',
    flagType: 'string',
    defaultEnabled: true,
    defaultValue: 'classic',
    tags: ['checkout', 'q3'],
    metadata: { owner: 'payments', ticket: 42, nested: { list: [1, 'two', null] } },
    rules: [
      {
        name: 'germany',
        priority: 2,
        conditions: [{ attribute: 'country', operator: 'in', value: ['DE', 'AT'] }],
        serveValue: 'new',
        rolloutPercentage: 12.5,
      },
      { name: 'staff', priority: 1, conditions: [], serveEnabled: false, serveValue: null },
    ],
    variants: [
      { key: 'blue', value: { color: '#00f' }, weight: 33.3 },
      { key: 'red', value: 'red', weight: 66.7, description: 'the bold one' },
    ],
  });

  describe('flags', () => {
    it('creates a flag with its rules and variants and reads it back exactly', async () => {
      const created = await storage.createFlag(checkoutFlag(uniqueName('checkout-')));
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.rules.map((rule) => rule.name)).toEqual(['germany', 'staff']);
      expect(await storage.getFlag(created.key)).toEqual(created);
    });

    it('returns copies: changing a returned flag changes nothing stored', async () => {
      const created = await storage.createFlag(checkoutFlag(uniqueName('copy-')));
      const read = (await storage.getFlag(created.key))!;
      read.tags.push('mutated');
      read.rules[0].name = 'mutated';
      created.metadata.owner = 'mutated';
      expect(await storage.getFlag(created.key)).toEqual({
        ...created,
        metadata: { ...created.metadata, owner: 'payments' },
      });
    });

    it('updates a flag in place, replacing rules and variants and keeping its identity', async () => {
      const created = await storage.createFlag(checkoutFlag(uniqueName('update-')));
      const updated = await storage.updateFlag({
        ...created,
        id: 'ignored',
        name: 'Checkout v2',
        status: 'inactive',
        defaultValue: 'v2',
        rules: [{ ...created.rules[1], serveEnabled: true }],
        variants: [],
      });
      expect(updated).toMatchObject({ id: created.id, name: 'Checkout v2', status: 'inactive' });
      expect(updated.createdAt).toEqual(created.createdAt);
      expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
      expect(await storage.getFlag(created.key)).toEqual(updated);
    });

    it('rejects a duplicate key and an update of a missing flag with typed errors', async () => {
      const key = uniqueName('dup-');
      const first = await storage.createFlag({ key, defaultEnabled: true });
      await expect(storage.createFlag({ key })).rejects.toBeInstanceOf(FlagAlreadyExistsError);
      expect(await storage.getFlag(key)).toEqual(first);

      const missing = { ...first, key: uniqueName('missing-') };
      await expect(storage.updateFlag(missing)).rejects.toBeInstanceOf(FlagNotFoundError);
      expect(await storage.getFlag(missing.key)).toBeNull();
    });

    it('deletes a flag once', async () => {
      const key = uniqueName('delete-');
      await storage.createFlag(checkoutFlag(key));
      expect(await storage.deleteFlag(key)).toBe(true);
      expect(await storage.getFlag(key)).toBeNull();
      expect(await storage.deleteFlag(key)).toBe(false);
    });

    it('lets exactly one of several concurrent creates of one key win', async () => {
      const key = uniqueName('race-');
      const attempts = await Promise.allSettled(
        ['a', 'b', 'c', 'd'].map((name) => storage.createFlag({ ...checkoutFlag(key), name })),
      );
      const winners = attempts.filter((attempt) => attempt.status === 'fulfilled');
      const losers = attempts.filter((attempt) => attempt.status === 'rejected');
      expect(winners).toHaveLength(1);
      for (const loser of losers) expect(loser.reason).toBeInstanceOf(FlagAlreadyExistsError);
      expect(await storage.getFlag(key)).toEqual(winners[0].value);
    });

    it('keeps unicode keys apart, byte for byte', async () => {
      const tag = uniqueName('');
      const keys = [`🚀-フラグ-${tag}`, `Café-${tag}`, `cafe-${tag}`, `CAFE-${tag}`];
      for (const key of keys) await storage.createFlag({ key, name: `name of ${key}` });
      const found = await storage.getFlags(keys);
      expect([...found.keys()].sort()).toEqual([...keys].sort());
      for (const key of keys) expect(found.get(key)?.name).toBe(`name of ${key}`);
    });

    it('round-trips a 1 MB JSON default value', async () => {
      const key = uniqueName('big-');
      const big = {
        text: 'ü'.repeat(200_000) + 'x'.repeat(700_000),
        rows: Array.from({ length: 1000 }, (_, i) => ({ i, label: `row ${i}` })),
      };
      expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(1 << 20);
      const created = await storage.createFlag({ key, flagType: 'json', defaultValue: big });
      expect((await storage.getFlag(key))?.defaultValue).toEqual(big);
      const active = await storage.getAllActiveFlags();
      expect(active.find((flag) => flag.key === key)).toEqual(created);
    });

    it('keeps JSON values of every shape as given', async () => {
      const values = ['123', 'true', 'null', '', 0, 1.5, -7, false, true, null, [], {}, ['a', 1]];
      const created = await Promise.all(
        values.map((defaultValue, i) =>
          storage.createFlag({ key: uniqueName(`value-${i}-`), defaultValue }),
        ),
      );
      const found = await storage.getFlags(created.map((flag) => flag.key));
      expect(created.map((flag) => found.get(flag.key)?.defaultValue)).toEqual(values);
    });
  });

  describe('bulk reads', () => {
    it('gets the existing flags among the keys asked for', async () => {
      const [a, b] = await Promise.all([
        storage.createFlag(checkoutFlag(uniqueName('bulk-a-'))),
        storage.createFlag({ key: uniqueName('bulk-b-'), status: 'archived' }),
      ]);
      const found = await storage.getFlags([a.key, uniqueName('absent-'), b.key, a.key]);
      expect(found).toEqual(
        new Map([
          [a.key, a],
          [b.key, b],
        ]),
      );
      expect(await storage.getFlags([])).toEqual(new Map());
    });

    it('lists active flags only, with their rules and variants', async () => {
      const tag = uniqueName('list-');
      const active = await storage.createFlag(checkoutFlag(`${tag}-active`));
      await storage.createFlag({ key: `${tag}-inactive`, status: 'inactive' });
      await storage.createFlag({ key: `${tag}-archived`, status: 'archived' });
      const listed = (await storage.getAllActiveFlags()).filter((flag) => flag.key.startsWith(tag));
      expect(listed).toEqual([active]);
    });
  });

  describe('overrides', () => {
    it('stores, replaces and deletes an override', async () => {
      const flag = await storage.createFlag({ key: uniqueName('override-') });
      const first = await storage.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'user-ü-1',
        enabled: true,
        value: { plan: 'pro' },
      });
      expect(await storage.getOverride(flag.id, 'user', 'user-ü-1')).toEqual(first);
      expect(await storage.getOverride(flag.id, 'user', 'user-u-1')).toBeNull();
      expect(await storage.getOverride(flag.id, 'organization', 'user-ü-1')).toBeNull();

      const replaced = await storage.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'user-ü-1',
        enabled: false,
      });
      expect(replaced).toMatchObject({ id: first.id, enabled: false, value: null });
      expect(replaced.createdAt).toEqual(first.createdAt);
      expect(await storage.getOverride(flag.id, 'user', 'user-ü-1')).toEqual(replaced);

      expect(await storage.deleteOverride(flag.id, 'user', 'user-ü-1')).toBe(true);
      expect(await storage.getOverride(flag.id, 'user', 'user-ü-1')).toBeNull();
      expect(await storage.deleteOverride(flag.id, 'user', 'user-ü-1')).toBe(false);
    });

    it('hides an override once it expires', async () => {
      const flag = await storage.createFlag({ key: uniqueName('expiry-') });
      const expired = await storage.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'past',
        expiresAt: new Date(Date.now() - 60_000),
      });
      expect(await storage.getOverride(flag.id, 'user', 'past')).toBeNull();

      const expiresAt = new Date(Date.now() + 1500);
      const soon = await storage.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'soon',
        expiresAt,
      });
      expect(await storage.getOverride(flag.id, 'user', 'soon')).toEqual(soon);
      await sleepUntil(expiresAt);
      expect(await storage.getOverride(flag.id, 'user', 'soon')).toBeNull();

      // A new override for an expired one starts afresh.
      const renewed = await storage.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'past',
      });
      expect(renewed.id).not.toBe(expired.id);
      expect(await storage.getOverride(flag.id, 'user', 'past')).toEqual(renewed);
    });

    it('deletes the overrides of a deleted flag', async () => {
      const key = uniqueName('cascade-');
      const flag = await storage.createFlag(checkoutFlag(key));
      await storage.createOverride({ flagId: flag.id, entityType: 'user', entityId: 'u1' });
      await storage.createOverride({
        flagId: flag.id,
        entityType: 'tenant',
        entityId: 't1',
        expiresAt: new Date(Date.now() + 3_600_000),
      });
      expect(await storage.deleteFlag(key)).toBe(true);
      expect(await storage.getOverride(flag.id, 'user', 'u1')).toBeNull();
      expect(await storage.getOverride(flag.id, 'tenant', 't1')).toBeNull();

      // A flag created again under the key starts without the old rules, variants or overrides.
      const again = await storage.createFlag({ key, id: flag.id });
      expect(again).toMatchObject({ rules: [], variants: [] });
      expect(await storage.getOverride(flag.id, 'user', 'u1')).toBeNull();
      expect(await storage.getFlag(key)).toEqual(again);
    });
  });

  it('reports itself healthy', async () => {
    expect(await storage.healthCheck()).toBe(true);
  });
});

/**
 * A storage whose connection is gone reports unhealthy instead of throwing. (The memory storage
 * has no connection to lose, so it is not in this list.)
 */
describe.each(BACKENDS.filter((backend) => backend.name !== 'memory'))(
  'a closed FeatureFlagStorage on $name',
  (backend) => {
    it('reports itself unhealthy and refuses work', async () => {
      const storage = await backend.create();
      await storage.close();
      expect(await storage.healthCheck()).toBe(false);
      await expect(storage.getFlag('anything')).rejects.toThrow(/closed/);
      await storage.close();
    });
  },
);

async function sleepUntil(moment: Date): Promise<void> {
  const wait = moment.getTime() - Date.now() + 20;
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
