import {
  FeatureFlagClient,
  LocalCacheFeatureFlagStorage,
  MemoryFeatureFlagStorage,
  type EvaluationContext,
  type EvaluationDetails,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { BACKENDS } from './fixtures/storage-backends/backends';
import { OUTAGE_MESSAGE } from './support/outage.storage';

/**
 * One evaluation contract, whatever sits under the client: every scenario below gives the same
 * answer through the memory storage, the local cache, a Proxy that makes every method async, a
 * subclass, and each real backend. The expected answers are written out, so "they agree" also
 * means "they are right".
 */

/** What a generic tracing or metrics wrapper does to a dependency: every method becomes async. */
function asyncProxy<T extends object>(target: T): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) =>
        (value as (...a: unknown[]) => unknown).apply(object, args);
    },
  });
}

/** A subclass that reads its own way: it must be evaluated through its methods. */
class LoggingMemoryStorage extends MemoryFeatureFlagStorage {
  readonly reads: string[] = [];
  override async getFlag(key: string) {
    this.reads.push(key);
    return super.getFlag(key);
  }
}

interface Setup {
  name: string;
  create(): Promise<FeatureFlagStorage>;
}

const SETUPS: Setup[] = [
  { name: 'memory', create: async () => new MemoryFeatureFlagStorage() },
  {
    name: 'local cache over memory',
    create: async () =>
      new LocalCacheFeatureFlagStorage(new MemoryFeatureFlagStorage(), { ttl: 60 }),
  },
  {
    name: 'a Proxy making every method async',
    create: async () => asyncProxy(new MemoryFeatureFlagStorage()),
  },
  { name: 'a memory subclass overriding getFlag', create: async () => new LoggingMemoryStorage() },
  ...BACKENDS.filter(({ name }) => name !== 'memory'),
  {
    name: 'local cache over redis',
    create: async () => {
      const redis = await BACKENDS.find(({ name }) => name === 'redis')!.create();
      const cache = new LocalCacheFeatureFlagStorage(redis, { ttl: 60 });
      // The cache leaves the storage it wraps to whoever created it.
      const closeCache = cache.close.bind(cache);
      cache.close = async () => {
        await closeCache();
        await redis.close();
      };
      return cache;
    },
  },
];

async function seed(storage: FeatureFlagStorage): Promise<void> {
  const everyone = { name: 'everyone', conditions: [], serveEnabled: false };
  const active = await storage.createFlag({ key: 'active', defaultEnabled: true });
  await storage.createOverride({
    flagId: active.id,
    entityType: 'user',
    entityId: 'blocked',
    enabled: false,
  });
  const inactive = await storage.createFlag({
    key: 'inactive',
    status: 'inactive',
    defaultEnabled: true,
    rules: [everyone],
  });
  await storage.createOverride({ flagId: inactive.id, entityType: 'user', entityId: 'u1' });
  await storage.createFlag({
    key: 'archived',
    status: 'archived',
    flagType: 'string',
    defaultValue: 'retired copy',
  });

  const ordered = await storage.createFlag({
    key: 'ordered',
    flagType: 'string',
    defaultValue: 'default',
  });
  const overrides = [
    ['user', 'u1', 'from user'],
    ['organization', 'o1', 'from organization'],
    ['tenant', 't1', 'from tenant'],
    ['targeting_key', 'k1', 'from targeting key'],
  ] as const;
  for (const [entityType, entityId, value] of overrides) {
    await storage.createOverride({ flagId: ordered.id, entityType, entityId, value });
  }
  await storage.createOverride({
    flagId: ordered.id,
    entityType: 'user',
    entityId: 'expired',
    value: 'expired',
    expiresAt: new Date(Date.now() - 60_000),
  });

  await storage.createFlag({
    key: 'rules',
    rules: [
      {
        name: 'eu-pro',
        priority: 2,
        conditions: [
          { attribute: 'country', operator: 'in', value: ['DE', 'FR'] },
          { attribute: 'plan', operator: 'eq', value: 'pro' },
        ],
      },
      {
        name: 'office',
        priority: 1,
        conditions: [{ attribute: 'ip', operator: 'starts_with', value: '10.' }],
        serveEnabled: false,
      },
      {
        name: 'new-app',
        priority: 3,
        conditions: [{ attribute: 'app_version', operator: 'semver_gt', value: '2.0.0' }],
      },
      {
        name: 'unknown-operator',
        priority: 0,
        conditions: [{ attribute: 'country', operator: 'bogus' as never, value: 'DE' }],
      },
      { name: 'disabled', priority: 0, enabled: false, conditions: [] },
    ],
  });
  // test-flag / user-1 falls in bucket 44 (docs: DESIGN test vectors).
  await storage.createFlag({
    key: 'test-flag',
    rules: [
      { name: 'first-43', priority: 0, conditions: [], rolloutPercentage: 43 },
      { name: 'then-44', priority: 1, conditions: [], rolloutPercentage: 44 },
    ],
  });
  // new_checkout / user-123: variant bucket 71.
  await storage.createFlag({
    key: 'new_checkout',
    flagType: 'string',
    defaultValue: 'classic',
    variants: [
      { key: 'a', value: 'A', weight: 50 },
      { key: 'b', value: 'B', weight: 50 },
    ],
  });
  await storage.createFlag({ key: 'copy', flagType: 'string', defaultValue: 'Buy now' });
  await storage.createFlag({ key: 'limit', flagType: 'number', defaultValue: 25 });
  await storage.createFlag({ key: 'theme', flagType: 'json', defaultValue: { primary: '#000' } });
  await storage.createFlag({ key: 'unset', flagType: 'string' });

  // Segments: 'eu-pro' narrows 'eu' down; 'loop-a' and 'loop-b' are each other's parent.
  const segments = storage as Required<FeatureFlagStorage>;
  const eu = await segments.createSegment({
    name: 'eu',
    conditions: [{ attribute: 'country', operator: 'in', value: ['DE', 'FR'] }],
  });
  await segments.createSegment({
    name: 'eu-pro',
    parentSegmentId: eu.id,
    conditions: [{ attribute: 'plan', operator: 'eq', value: 'pro' }],
  });
  await segments.createSegment({ name: 'paused', enabled: false });
  const loopA = await segments.createSegment({ name: 'loop-a' });
  const loopB = await segments.createSegment({ name: 'loop-b', parentSegmentId: loopA.id });
  await segments.updateSegment({ ...loopA, parentSegmentId: loopB.id });
  const segment = (operator: 'in_segment' | 'not_in_segment', value: string) => [
    { attribute: 'segment', operator, value },
  ];
  await storage.createFlag({
    key: 'segmented',
    flagType: 'string',
    defaultValue: 'everyone',
    rules: [
      { name: 'paused', priority: 0, conditions: segment('in_segment', 'paused'), serveValue: 'x' },
      { name: 'loop', priority: 1, conditions: segment('in_segment', 'loop-a'), serveValue: 'x' },
      {
        name: 'eu-pro',
        priority: 2,
        conditions: segment('in_segment', 'eu-pro'),
        serveValue: 'eu pro',
      },
      // By id.
      {
        name: 'outside-eu',
        priority: 3,
        conditions: segment('not_in_segment', eu.id),
        serveValue: 'outside eu',
      },
      {
        name: 'unknown',
        priority: 4,
        conditions: segment('in_segment', 'nobody'),
        serveValue: 'x',
      },
    ],
  });
  await storage.createFlag({
    key: 'not-in-unknown',
    rules: [{ name: 'not-in-nobody', conditions: segment('not_in_segment', 'nobody') }],
  });
  await storage.createFlag({
    key: 'not-in-loop',
    rules: [{ name: 'not-in-loop', conditions: segment('not_in_segment', 'loop-b') }],
  });
}

const ACTIVE_KEYS = [
  'active',
  'copy',
  'limit',
  'new_checkout',
  'not-in-loop',
  'not-in-unknown',
  'ordered',
  'rules',
  'segmented',
  'test-flag',
  'theme',
  'unset',
];

function details<T>(
  flagKey: string,
  value: T,
  reason: string,
  variant: string | null = null,
  errorCode: string | null = null,
  errorMessage: string | null = null,
): EvaluationDetails<T> {
  return { value, flagKey, reason, variant, errorCode, errorMessage } as EvaluationDetails<T>;
}

const failed = (flagKey: string, value: unknown, reason: string, errorCode: string) =>
  details(flagKey, value, reason, null, errorCode, expect.any(String) as string);

interface Scenario {
  name: string;
  run(client: FeatureFlagClient): Promise<unknown>;
  expected: unknown;
}

const string = (key: string, context?: EvaluationContext) => (client: FeatureFlagClient) =>
  client.getStringDetails(key, 'caller default', context);
const boolean = (key: string, context?: EvaluationContext) => (client: FeatureFlagClient) =>
  client.getBooleanDetails(key, false, context);

const SCENARIOS: Scenario[] = [
  // Status
  {
    name: 'an active flag serves its default',
    run: boolean('active'),
    expected: details('active', true, 'STATIC'),
  },
  {
    name: 'an inactive flag serves its own default, ignoring overrides and rules',
    run: boolean('inactive', { userId: 'u1' }),
    expected: details('inactive', true, 'DISABLED'),
  },
  {
    name: 'an archived flag serves its own default',
    run: string('archived'),
    expected: details('archived', 'retired copy', 'DISABLED'),
  },
  // Overrides, in order
  {
    name: 'a user override wins over every other',
    run: string('ordered', {
      userId: 'u1',
      organizationId: 'o1',
      tenantId: 't1',
      targetingKey: 'k1',
    }),
    expected: details('ordered', 'from user', 'OVERRIDE'),
  },
  {
    name: 'then an organization override',
    run: string('ordered', {
      userId: 'u9',
      organizationId: 'o1',
      tenantId: 't1',
      targetingKey: 'k1',
    }),
    expected: details('ordered', 'from organization', 'OVERRIDE'),
  },
  {
    name: 'then a tenant override',
    run: string('ordered', { organizationId: 'o9', tenantId: 't1', targetingKey: 'k1' }),
    expected: details('ordered', 'from tenant', 'OVERRIDE'),
  },
  {
    name: 'then a targeting-key override, the user id standing in for a missing targeting key',
    run: string('ordered', { userId: 'k1' }),
    expected: details('ordered', 'from targeting key', 'OVERRIDE'),
  },
  {
    name: 'an expired override is ignored',
    run: string('ordered', { userId: 'expired' }),
    expected: details('ordered', 'default', 'STATIC'),
  },
  {
    name: 'an override turns a boolean flag off for one user',
    run: (client) => client.isEnabled('active', { userId: 'blocked' }),
    expected: false,
  },
  // Rules and conditions
  {
    name: 'rules match on context fields and attributes together',
    run: boolean('rules', { country: 'DE', attributes: { plan: 'pro' } }),
    expected: details('rules', true, 'TARGETING_MATCH', 'eu-pro'),
  },
  {
    name: 'a rule with lower priority number runs first',
    run: boolean('rules', { country: 'DE', ip: '10.1.2.3', attributes: { plan: 'pro' } }),
    expected: details('rules', false, 'TARGETING_MATCH', 'office'),
  },
  {
    name: 'snake_case attributes and semver operators',
    run: boolean('rules', { appVersion: '2.1.0' }),
    expected: details('rules', true, 'TARGETING_MATCH', 'new-app'),
  },
  {
    name: 'no rule matches (unknown operators and disabled rules never do)',
    run: boolean('rules', { country: 'DE', attributes: { plan: 'free' } }),
    expected: details('rules', false, 'STATIC'),
  },
  // Rollouts
  {
    name: 'a rule outside its rollout falls through to the next',
    run: boolean('test-flag', { userId: 'user-1' }),
    expected: details('test-flag', true, 'TARGETING_MATCH', 'then-44'),
  },
  {
    name: 'without a targeting key nobody is in a rollout',
    run: boolean('test-flag', {}),
    expected: details('test-flag', false, 'STATIC'),
  },
  // Variants
  {
    name: 'variants split by the targeting key',
    run: string('new_checkout', { targetingKey: 'user-123' }),
    expected: details('new_checkout', 'B', 'SPLIT', 'b'),
  },
  {
    name: 'a split without a targeting key serves the flag default',
    run: string('new_checkout'),
    expected: details(
      'new_checkout',
      'classic',
      'DEFAULT',
      null,
      'TARGETING_KEY_MISSING',
      'flag "new_checkout" splits by variant and the context has no targetingKey',
    ),
  },
  // Typed getters
  {
    name: 'typed values',
    run: async (client) => [
      await client.getStringValue('copy', 'x'),
      await client.getNumberValue('limit', 0),
      await client.getObjectValue('theme', {}),
      await client.getBooleanValue('active', false),
    ],
    expected: ['Buy now', 25, { primary: '#000' }, true],
  },
  {
    name: 'a value of another type is TYPE_MISMATCH with the caller default',
    run: async (client) => [
      await client.getNumberDetails('copy', 3),
      await client.getObjectDetails('limit', { fallback: true }),
      await client.getBooleanDetails('copy', true),
    ],
    expected: [
      details(
        'copy',
        3,
        'ERROR',
        null,
        'TYPE_MISMATCH',
        'flag "copy" holds a string, not a number',
      ),
      details(
        'limit',
        { fallback: true },
        'ERROR',
        null,
        'TYPE_MISMATCH',
        'flag "limit" holds a number, not an object',
      ),
      details(
        'copy',
        true,
        'ERROR',
        null,
        'TYPE_MISMATCH',
        'flag "copy" holds a string, not a boolean',
      ),
    ],
  },
  {
    name: 'an unset value is the caller default, without an error',
    run: string('unset'),
    expected: details('unset', 'caller default', 'DEFAULT'),
  },
  // Missing flag
  {
    name: 'a missing flag is the caller default with FLAG_NOT_FOUND',
    run: async (client) => [
      await client.getNumberDetails('missing', 7),
      await client.isEnabled('missing'),
    ],
    expected: [
      details('missing', 7, 'DEFAULT', null, 'FLAG_NOT_FOUND', 'flag "missing" not found'),
      false,
    ],
  },
  // Bulk
  {
    name: 'getFlags evaluates the flags asked for, missing ones included',
    run: (client) => client.getFlags(['ordered', 'copy', 'missing', 'ordered'], { tenantId: 't1' }),
    expected: {
      ordered: details('ordered', 'from tenant', 'OVERRIDE'),
      copy: details('copy', 'Buy now', 'STATIC'),
      missing: details(
        'missing',
        null,
        'DEFAULT',
        null,
        'FLAG_NOT_FOUND',
        'flag "missing" not found',
      ),
    },
  },
  {
    name: 'getAllFlags evaluates every active flag',
    run: async (client) => {
      const all = await client.getAllFlags({
        userId: 'u1',
        country: 'FR',
        attributes: { plan: 'pro' },
      });
      return { keys: Object.keys(all).sort(), ordered: all.ordered, rules: all.rules };
    },
    expected: {
      keys: ACTIVE_KEYS,
      ordered: details('ordered', 'from user', 'OVERRIDE'),
      rules: details('rules', true, 'TARGETING_MATCH', 'eu-pro'),
    },
  },
  // Segments
  {
    name: 'in_segment of a nested segment: the context is in it and in its parent',
    run: string('segmented', { country: 'DE', attributes: { plan: 'pro' } }),
    expected: details('segmented', 'eu pro', 'TARGETING_MATCH', 'eu-pro'),
  },
  {
    name: 'in_segment of a nested segment: in its parent only is not enough',
    run: string('segmented', { country: 'FR', attributes: { plan: 'free' } }),
    expected: details('segmented', 'everyone', 'STATIC'),
  },
  {
    name: "not_in_segment by id: the segment's own conditions do not hold",
    run: string('segmented', { country: 'US', attributes: { plan: 'pro' } }),
    expected: details('segmented', 'outside eu', 'TARGETING_MATCH', 'outside-eu'),
  },
  {
    name: 'an unknown segment: not_in_segment holds, in_segment does not',
    run: async (client) => [
      await client.getBooleanDetails('not-in-unknown', false),
      await client.getBooleanDetails('not-in-loop', false),
    ],
    expected: [
      details('not-in-unknown', true, 'TARGETING_MATCH', 'not-in-nobody'),
      // A parent cycle makes either condition false.
      details('not-in-loop', false, 'STATIC'),
    ],
  },
  {
    name: 'getFlags and getAllFlags evaluate segment conditions too',
    run: async (client) => {
      const context = { country: 'DE', attributes: { plan: 'pro' } };
      const some = await client.getFlags(['segmented', 'copy'], context);
      const all = await client.getAllFlags(context);
      return [some.segmented, all.segmented, all['not-in-unknown'].value];
    },
    expected: [
      details('segmented', 'eu pro', 'TARGETING_MATCH', 'eu-pro'),
      details('segmented', 'eu pro', 'TARGETING_MATCH', 'eu-pro'),
      true,
    ],
  },
  // Invalid context
  {
    name: 'an invalid context is INVALID_CONTEXT, never a throw',
    run: async (client) => [
      await client.getBooleanDetails('active', true, { userId: 42 as never }),
      await client.isEnabled('active', 'u1' as never),
      (await client.getFlags(['copy'], { attributes: [] as never })).copy,
    ],
    expected: [
      failed('active', true, 'ERROR', 'INVALID_CONTEXT'),
      false,
      failed('copy', null, 'ERROR', 'INVALID_CONTEXT'),
    ],
  },
];

describe.each(SETUPS)('Evaluation through $name', (setup) => {
  let storage: FeatureFlagStorage;
  let client: FeatureFlagClient;

  beforeAll(async () => {
    storage = await setup.create();
    await seed(storage);
    client = new FeatureFlagClient({ storage, logger: false });
  });

  afterAll(async () => {
    await storage.close();
  });

  it.each(SCENARIOS)('$name', async ({ run, expected }) => {
    // Twice: a caching storage answers the second time from memory.
    expect(await run(client)).toEqual(expected);
    expect(await run(client)).toEqual(expected);
  });
});

describe('Evaluation when every storage call rejects', () => {
  const rejecting = new Proxy({} as FeatureFlagStorage, {
    get: (_target, property) =>
      property === 'then'
        ? undefined
        : async () => {
            throw new Error(OUTAGE_MESSAGE);
          },
  });

  it.each([
    ['the storage itself', rejecting],
    ['a local cache over it', new LocalCacheFeatureFlagStorage(rejecting, { ttl: 60 })],
  ])('gives ERROR and GENERAL from every method through %s', async (_name, storage) => {
    const client = new FeatureFlagClient({ storage, logger: false });
    const general = (flagKey: string, value: unknown) => ({
      ...details(flagKey, value, 'ERROR', null, 'GENERAL'),
      errorMessage: expect.stringContaining('ECONNREFUSED') as string,
    });
    expect(await client.isEnabled('active')).toBe(false);
    expect(await client.getEnabledDetails('active', true)).toEqual(general('active', true));
    expect(await client.getBooleanDetails('active', true)).toEqual(general('active', true));
    expect(await client.getStringDetails('copy', 'x', { userId: 'u1' })).toEqual(
      general('copy', 'x'),
    );
    expect(await client.getNumberDetails('limit', 1)).toEqual(general('limit', 1));
    expect(await client.getObjectDetails('theme', {})).toEqual(general('theme', {}));
    expect(await client.getFlags(['active', 'copy'])).toEqual({
      active: general('active', null),
      copy: general('copy', null),
    });
    // "Every active flag" has no answer to give: none, rather than a throw.
    expect(await client.getAllFlags()).toEqual({});
    const message = (await client.getBooleanDetails('active', false)).errorMessage;
    expect(message).not.toContain('s3cret-pw');
  });
});

describe('Segment conditions on a storage without segment methods', () => {
  /** A storage written before segments existed: the flag methods only. */
  function withoutSegments(memory: MemoryFeatureFlagStorage): FeatureFlagStorage {
    return new Proxy(memory, {
      get(target, property) {
        if (typeof property === 'string' && property.includes('Segment')) return undefined;
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  }

  it.each([
    ['itself', (storage: FeatureFlagStorage) => storage],
    [
      'a local cache over it',
      (storage: FeatureFlagStorage) => new LocalCacheFeatureFlagStorage(storage, { ttl: 60 }),
    ],
  ])('answers as for an unknown segment, through %s', async (_name, wrap) => {
    const memory = new MemoryFeatureFlagStorage();
    // The segment exists, but the storage the client gets cannot tell.
    await memory.createSegment({ name: 'everyone' });
    const inSegment = [
      { attribute: 'segment', operator: 'in_segment' as const, value: 'everyone' },
    ];
    await memory.createFlag({ key: 'in', rules: [{ conditions: inSegment }] });
    await memory.createFlag({
      key: 'not-in',
      rules: [{ conditions: [{ ...inSegment[0], operator: 'not_in_segment' }] }],
    });
    const client = new FeatureFlagClient({ storage: wrap(withoutSegments(memory)), logger: false });
    expect(await client.isEnabled('in')).toBe(false);
    expect(await client.isEnabled('not-in')).toBe(true);
    expect(await new FeatureFlagClient({ storage: memory }).isEnabled('in')).toBe(true);
  });
});

describe('Segment reads', () => {
  /** A memory storage that counts its getAllSegments calls (and is read through its methods). */
  function counting() {
    const memory = new MemoryFeatureFlagStorage();
    const counter = { reads: 0 };
    const storage = new Proxy(memory, {
      get(target, property) {
        if (property === 'getAllSegments') {
          return () => {
            counter.reads++;
            return target.getAllSegments();
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    return { memory, storage, counter };
  }

  async function seedSegmented(memory: MemoryFeatureFlagStorage): Promise<void> {
    await memory.createSegment({
      name: 'de',
      conditions: [{ attribute: 'country', operator: 'eq', value: 'DE' }],
    });
    for (const key of ['one', 'two', 'three']) {
      await memory.createFlag({
        key,
        rules: [{ conditions: [{ attribute: 'segment', operator: 'in_segment', value: 'de' }] }],
      });
    }
    await memory.createFlag({ key: 'plain', defaultEnabled: true });
  }

  it('reads segments only for flags that name one, and once per bulk evaluation', async () => {
    const { memory, storage, counter } = counting();
    await seedSegmented(memory);
    const client = new FeatureFlagClient({ storage, logger: false });
    expect(await client.isEnabled('plain')).toBe(true);
    expect(counter.reads).toBe(0);
    expect(await client.isEnabled('one', { country: 'DE' })).toBe(true);
    expect(counter.reads).toBe(1);
    const all = await client.getAllFlags({ country: 'DE' });
    expect([all.one.value, all.two.value, all.three.value, all.plain.value]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(counter.reads).toBe(2);
    await client.getFlags(['one', 'two', 'three', 'plain'], { country: 'FR' });
    expect(counter.reads).toBe(3);
  });

  it('are cached by the local cache until a segment is written through it', async () => {
    const { memory, storage, counter } = counting();
    await seedSegmented(memory);
    const cache = new LocalCacheFeatureFlagStorage(storage, { ttl: 3600 });
    const client = new FeatureFlagClient({ storage: cache, logger: false });
    await client.getAllFlags({ country: 'DE' });
    expect(await client.isEnabled('one', { country: 'DE' })).toBe(true);
    expect(counter.reads).toBe(1);

    const de = (await cache.getSegmentByName('de'))!;
    await cache.updateSegment({ ...de, enabled: false });
    expect(await client.isEnabled('one', { country: 'DE' })).toBe(false);
    expect(counter.reads).toBe(2);
  });
});

it('asks a subclass that overrides getFlag through its override', async () => {
  const storage = new LoggingMemoryStorage();
  await storage.createFlag({ key: 'active', defaultEnabled: true });
  expect(await new FeatureFlagClient({ storage }).isEnabled('active')).toBe(true);
  expect(storage.reads).toEqual(['active']);
});
