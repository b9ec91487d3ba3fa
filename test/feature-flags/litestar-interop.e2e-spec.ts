import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import {
  FeatureFlagClient,
  RedisFeatureFlagStorage,
  murmur3,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { testUrls, uniqueName } from '../harness/servers';

/*
 * One Redis shared with a litestar-flags (Python) service: documents in litestar-flags' exact wire
 * format, written by hand from the shared layout (DESIGN.md) — what Python's `json.dumps` makes of
 * the library's dicts: ", " and ": " separators, non-ASCII escaped, `datetime.isoformat()`
 * timestamps with microseconds and "+00:00", enum values in snake_case.
 */

/** `json.dumps(value)` with Python's defaults. */
function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
}

/** The fields, in order, of litestar-flags 0.2.1's flag and override documents. */
const FLAG_FIELDS = [
  'id',
  'key',
  'name',
  'description',
  'flag_type',
  'status',
  'default_enabled',
  'default_value',
  'tags',
  'metadata',
  'rules',
  'variants',
  'created_at',
  'updated_at',
];
const RULE_FIELDS = [
  'id',
  'name',
  'description',
  'priority',
  'enabled',
  'conditions',
  'serve_enabled',
  'serve_value',
  'rollout_percentage',
];
const VARIANT_FIELDS = ['id', 'key', 'name', 'description', 'value', 'weight'];
const OVERRIDE_FIELDS = [
  'id',
  'flag_id',
  'entity_type',
  'entity_id',
  'enabled',
  'value',
  'expires_at',
  'created_at',
  'updated_at',
];
/** Fields Gatekeeper may add to a flag document; litestar-flags ignores them. */
const GATEKEEPER_FLAG_EXTRAS = ['version', 'default_variant'];
const GATEKEEPER_RULE_EXTRAS = ['serve_variant'];

const CREATED_AT = '2026-01-05T10:20:30.480924+00:00';
/** `datetime.fromisoformat` (Python 3.11) accepts these; it is what litestar-flags reads with. */
const PYTHON_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

function litestarFlag(key: string, fields: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    key,
    name: key,
    description: null,
    flag_type: 'boolean',
    status: 'active',
    default_enabled: false,
    default_value: null,
    tags: [],
    metadata: {},
    rules: [],
    variants: [],
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    ...fields,
  };
}

function litestarOverride(flagId: string, entityType: string, entityId: string, extra = {}) {
  return {
    id: randomUUID(),
    flag_id: flagId,
    entity_type: entityType,
    entity_id: entityId,
    enabled: true,
    value: null,
    expires_at: null,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    ...extra,
  };
}

describe('one Redis shared with litestar-flags', () => {
  let redis: Redis;
  let prefix: string;
  let storage: FeatureFlagStorage;
  let client: FeatureFlagClient;

  /** What litestar-flags' `create_flag` / `create_override` leave in Redis. */
  const python = {
    writeFlag: async (flag: ReturnType<typeof litestarFlag>) => {
      await redis.set(`${prefix}flag:${flag.key}`, pythonJsonDumps(flag));
      await redis.sadd(`${prefix}flags`, flag.key);
    },
    writeOverride: async (override: ReturnType<typeof litestarOverride>, ttlSeconds?: number) => {
      const key = `${prefix}override:${override.flag_id}:${override.entity_type}:${override.entity_id}`;
      const json = pythonJsonDumps(override);
      if (ttlSeconds === undefined) await redis.set(key, json);
      else await redis.set(key, json, 'EX', ttlSeconds);
      return key;
    },
  };

  async function keysOf(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys.sort();
  }

  beforeAll(() => {
    redis = new Redis(testUrls().redis);
  });

  beforeEach(() => {
    prefix = uniqueName('lsf:') + ':';
    storage = new RedisFeatureFlagStorage(redis, { prefix });
    client = new FeatureFlagClient({ storage, logger: false });
  });

  afterAll(async () => {
    await redis.quit();
  });

  it('gives every user the variant litestar-flags gives when the weights add up to 60', async () => {
    await python.writeFlag(
      litestarFlag('checkout_copy', {
        flag_type: 'string',
        default_value: 'Buy',
        variants: [
          { id: randomUUID(), key: 'b', name: 'b', description: null, value: 'Pay', weight: 40 },
          { id: randomUUID(), key: 'a', name: 'a', description: null, value: 'Go', weight: 20 },
        ],
      }),
    );
    for (let i = 0; i < 200; i++) {
      const user = `user-${i}`;
      // litestar-flags: sorted by key, first whose cumulative weight exceeds the bucket, else the last.
      const bucket = murmur3(`checkout_copy:variant:${user}`) % 100;
      const expected = bucket < 20 ? 'a' : 'b';
      const details = await client.getStringDetails('checkout_copy', 'x', { targetingKey: user });
      expect(details).toMatchObject({ reason: 'SPLIT', variant: expected });
    }
  });

  it('evaluates rules, rollouts and overrides written by litestar-flags', async () => {
    const flag = litestarFlag('beta', {
      rules: [
        {
          id: randomUUID(),
          name: 'germany',
          description: 'DACH first',
          priority: 0,
          enabled: true,
          conditions: [{ attribute: 'country', operator: 'in', value: ['DE', 'AT'] }],
          serve_enabled: true,
          serve_value: null,
          rollout_percentage: null,
        },
      ],
    });
    await python.writeFlag(flag);
    await python.writeOverride(litestarOverride(flag.id, 'user', 'vip'));

    await expect(client.isEnabled('beta', { country: 'DE' })).resolves.toBe(true);
    await expect(client.isEnabled('beta', { country: 'FR' })).resolves.toBe(false);
    await expect(
      client.getBooleanDetails('beta', false, { userId: 'vip', country: 'FR' }),
    ).resolves.toMatchObject({ value: true, reason: 'OVERRIDE' });
    const read = await storage.getFlag('beta');
    expect(read).toMatchObject({ id: flag.id, key: 'beta', flagType: 'boolean', status: 'active' });
    expect(read!.rules[0]).toMatchObject({ name: 'germany', description: 'DACH first' });
  });

  it('writes flag and override documents litestar-flags can read, field by field', async () => {
    const flag = await storage.createFlag({
      key: 'ours',
      name: 'Ours',
      flagType: 'json',
      defaultValue: { limit: 3 },
      rules: [{ name: 'r', conditions: [], serveEnabled: true, rolloutPercentage: 10 }],
      variants: [{ key: 'v', value: { limit: 5 }, weight: 50 }],
    });
    await storage.createOverride({
      flagId: flag.id,
      entityType: 'user',
      entityId: 'u1',
      enabled: true,
      expiresAt: new Date(Date.now() + 60_000),
    });

    const doc = JSON.parse((await redis.get(`${prefix}flag:ours`))!) as Record<string, unknown>;
    expect(Object.keys(doc).filter((field) => !GATEKEEPER_FLAG_EXTRAS.includes(field))).toEqual(
      expect.arrayContaining(FLAG_FIELDS),
    );
    expect(
      Object.keys(doc).filter(
        (field) => !FLAG_FIELDS.includes(field) && !GATEKEEPER_FLAG_EXTRAS.includes(field),
      ),
    ).toEqual([]);
    expect(doc).toMatchObject({ flag_type: 'json', status: 'active', default_value: { limit: 3 } });
    const [rule] = doc.rules as Array<Record<string, unknown>>;
    expect(
      Object.keys(rule)
        .filter((f) => !GATEKEEPER_RULE_EXTRAS.includes(f))
        .sort(),
    ).toEqual([...RULE_FIELDS].sort());
    const [variant] = doc.variants as Array<Record<string, unknown>>;
    expect(Object.keys(variant).sort()).toEqual([...VARIANT_FIELDS].sort());
    for (const field of ['created_at', 'updated_at']) {
      expect(doc[field]).toMatch(PYTHON_ISO);
    }
    expect(await redis.sismember(`${prefix}flags`, 'ours')).toBe(1);

    const [overrideKey] = await keysOf(`${prefix}override:${flag.id}:*`);
    expect(overrideKey).toBe(`${prefix}override:${flag.id}:user:u1`);
    const override = JSON.parse((await redis.get(overrideKey))!) as Record<string, unknown>;
    expect(Object.keys(override).sort()).toEqual([...OVERRIDE_FIELDS].sort());
    expect(override.expires_at).toMatch(PYTHON_ISO);
    expect(await redis.pttl(overrideKey)).toBeGreaterThan(0);
  });

  it('deletes every override of a flag, including those litestar-flags wrote', async () => {
    const flag = litestarFlag('doomed');
    await python.writeFlag(flag);
    await python.writeOverride(litestarOverride(flag.id, 'user', 'py-1'));
    await python.writeOverride(litestarOverride(flag.id, 'organization', 'py-org'), 3_600);
    const other = litestarFlag('kept');
    await python.writeFlag(other);
    const kept = await python.writeOverride(litestarOverride(other.id, 'user', 'py-1'));
    await storage.createOverride({
      flagId: flag.id,
      entityType: 'tenant',
      entityId: 'ours',
      enabled: false,
    });

    await expect(storage.deleteFlag('doomed')).resolves.toBe(true);

    const left = (await keysOf(`${prefix}*`)).filter(
      (key) => key.includes(flag.id) || key.endsWith(':doomed'),
    );
    expect(left).toEqual([]);
    expect(await redis.sismember(`${prefix}flags`, 'doomed')).toBe(0);
    expect(await redis.exists(kept)).toBe(1);
  });

  it('keeps created_at as litestar-flags stored it when updating its flag', async () => {
    await python.writeFlag(litestarFlag('aged'));
    const read = await storage.getFlag('aged');
    await storage.updateFlag({ ...read!, description: 'changed by Gatekeeper' });

    const doc = JSON.parse((await redis.get(`${prefix}flag:aged`))!) as Record<string, unknown>;
    expect(doc.description).toBe('changed by Gatekeeper');
    expect(doc.created_at).toBe(CREATED_AT);
    expect(doc.updated_at).toMatch(PYTHON_ISO);
    expect(doc.updated_at).not.toBe(CREATED_AT);
  });

  it('treats an expired override without a TTL as litestar-flags does: absent, and removed', async () => {
    const flag = litestarFlag('expiring');
    await python.writeFlag(flag);
    const key = await python.writeOverride(
      litestarOverride(flag.id, 'user', 'late', { expires_at: '2026-01-01T00:00:00.000001+00:00' }),
    );

    await expect(storage.getOverride(flag.id, 'user', 'late')).resolves.toBeNull();
    await expect(client.isEnabled('expiring', { userId: 'late' })).resolves.toBe(false);
    expect(await redis.exists(key)).toBe(0);
  });
});
