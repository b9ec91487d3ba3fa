import {
  AsyncLocalStorageTransactionContextPropagator,
  NOOP_TRANSACTION_CONTEXT_PROPAGATOR,
  OpenFeature,
  ProviderEvents,
  ProviderStatus,
  type Client,
  type EvaluationContext,
  type EvaluationDetails,
  type EventDetails,
  type FlagValue,
  type Hook,
} from '@openfeature/server-sdk';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  FEATURE_FLAG_STORAGE,
  FeatureFlagClient,
  FeatureFlagsModule,
  GatekeeperProvider,
  LocalCacheFeatureFlagStorage,
  MemoryFeatureFlagStorage,
  RedisFeatureFlagStorage,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { testUrls, uniqueName } from '../harness/servers';
import { eventually } from '../support/eventually';
import { seedConformanceFlags } from './openfeature/conformance-flags';
import { OutageStorage } from './support/outage.storage';

/**
 * GatekeeperProvider against the requirements of the OpenFeature specification that apply to a
 * server provider (docs/feature-flags/openfeature.md lists the ones that do not), driven through
 * the OpenFeature SDK as an application would, on the memory storage and on a real Redis. The
 * flags are the kinds the specification's gherkin suites use (./openfeature/conformance-flags.ts).
 */

interface Backend {
  storage: FeatureFlagStorage;
  close(): Promise<void>;
}

const BACKENDS: Array<[string, () => Promise<Backend>]> = [
  [
    'memory',
    async () => ({ storage: new MemoryFeatureFlagStorage(), close: async () => undefined }),
  ],
  [
    'redis',
    async () => {
      const storage = await RedisFeatureFlagStorage.create({
        url: testUrls().redis,
        prefix: uniqueName('of:') + ':',
      });
      return { storage, close: () => storage.close() };
    },
  ],
];

type Kind = 'boolean' | 'string' | 'number' | 'object';

/** One evaluation through the SDK's typed detail methods. */
function details(
  client: Client,
  kind: Kind,
  key: string,
  defaultValue: FlagValue,
  context?: Record<string, unknown>,
  hooks?: Hook[],
): Promise<EvaluationDetails<FlagValue>> {
  const ctx = context as Parameters<Client['getBooleanDetails']>[2];
  const options = hooks ? { hooks } : undefined;
  switch (kind) {
    case 'boolean':
      return client.getBooleanDetails(key, defaultValue as boolean, ctx, options);
    case 'string':
      return client.getStringDetails(key, defaultValue as string, ctx, options);
    case 'number':
      return client.getNumberDetails(key, defaultValue as number, ctx, options);
    case 'object':
      return client.getObjectDetails(key, defaultValue, ctx, options);
  }
}

const IMAGES = { showImages: true, title: 'Check out these pics!', imagesPerPage: 100 };

describe.each(BACKENDS)('GatekeeperProvider through the OpenFeature SDK (%s)', (name, open) => {
  const domain = uniqueName(`conformance-${name}-`);
  let backend: Backend;
  let provider: GatekeeperProvider;
  let client: Client;

  beforeAll(async () => {
    backend = await open();
    await seedConformanceFlags(backend.storage);
    provider = new GatekeeperProvider(
      new FeatureFlagClient({ storage: backend.storage, logger: false }),
    );
    await OpenFeature.setProviderAndWait(domain, provider);
    client = OpenFeature.getClient(domain);
  });

  afterAll(async () => {
    await OpenFeature.clearProviders();
    OpenFeature.clearHooks();
    OpenFeature.setContext({});
    await backend.close();
  });

  describe('provider metadata and status', () => {
    it('is named "gatekeeper", runs on the server and is READY once the storage answered', () => {
      expect(OpenFeature.getProviderMetadata(domain).name).toBe('gatekeeper');
      expect(client.metadata.providerMetadata.name).toBe('gatekeeper');
      expect(provider.runsOn).toBe('server');
      expect(client.providerStatus).toBe(ProviderStatus.READY);
    });
  });

  describe('named values in the storage', () => {
    it('keeps defaultVariant and serveVariant through a write and a read', async () => {
      const stored = await backend.storage.getFlag('boolean-targeted-zero-flag');
      expect(stored?.defaultVariant).toBe('zero');
      expect(stored?.rules[0].serveVariant).toBe('zero');
      const updated = await backend.storage.updateFlag({ ...stored!, defaultVariant: 'non-zero' });
      expect((await backend.storage.getFlag(updated.key))?.defaultVariant).toBe('non-zero');
      expect(await client.getBooleanValue(updated.key, false)).toBe(true);
      await backend.storage.updateFlag({ ...updated, defaultVariant: 'zero' });
      expect(await client.getBooleanValue(updated.key, true)).toBe(false);
    });
  });

  describe('typed resolution with details', () => {
    it.each<[Kind, string, FlagValue, FlagValue, string]>([
      ['boolean', 'boolean-flag', false, true, 'on'],
      ['string', 'string-flag', 'bye', 'hi', 'greeting'],
      ['number', 'integer-flag', 1, 10, 'ten'],
      ['number', 'float-flag', 0.1, 0.5, 'half'],
      ['object', 'object-flag', {}, IMAGES, 'template'],
    ])('a %s flag (%s) answers its value, its variant and reason STATIC', async (...row) => {
      const [kind, key, defaultValue, value, variant] = row;
      const result = await details(client, kind, key, defaultValue);
      expect(result).toMatchObject({ flagKey: key, value, variant, reason: 'STATIC' });
      expect(result.errorCode).toBeUndefined();
    });

    it.each<[Kind, string, FlagValue, FlagValue]>([
      ['boolean', 'boolean-zero-flag', true, false],
      ['string', 'string-zero-flag', 'hi', ''],
      ['number', 'integer-zero-flag', 1, 0],
      ['number', 'float-zero-flag', 0.1, 0],
      ['object', 'object-zero-flag', { a: 1 }, {}],
    ])('a %s flag whose value is "zero" (%s) answers it, not the default', async (...row) => {
      const [kind, key, defaultValue, value] = row;
      const result = await details(client, kind, key, defaultValue);
      expect(result).toMatchObject({ value, variant: 'zero', reason: 'STATIC' });
    });

    it('the value-only methods answer the same values', async () => {
      expect(await client.getBooleanValue('boolean-flag', false)).toBe(true);
      expect(await client.getStringValue('string-flag', 'bye')).toBe('hi');
      expect(await client.getNumberValue('integer-flag', 1)).toBe(10);
      expect(await client.getNumberValue('float-flag', 0.1)).toBe(0.5);
      expect(await client.getObjectValue('object-flag', {})).toEqual(IMAGES);
    });
  });

  describe('context-aware targeting', () => {
    const targeted: Array<[Kind, string, FlagValue, FlagValue]> = [
      ['boolean', 'boolean-targeted-zero-flag', true, false],
      ['string', 'string-targeted-zero-flag', 'hi', ''],
      ['number', 'integer-targeted-zero-flag', 1, 0],
      ['number', 'float-targeted-zero-flag', 0.1, 0],
      ['object', 'object-targeted-zero-flag', { a: 1 }, {}],
    ];

    it.each(targeted)('a %s flag (%s) matched by the context: TARGETING_MATCH', async (...row) => {
      const [kind, key, defaultValue, value] = row;
      const result = await details(client, kind, key, defaultValue, {
        email: 'ballmer@macrosoft.com',
      });
      expect(result).toMatchObject({ value, variant: 'zero', reason: 'TARGETING_MATCH' });
    });

    it.each(targeted)(
      'a %s flag (%s) with rules none of which match: the flag default, reason DEFAULT',
      async (kind, key, defaultValue, value) => {
        for (const context of [{ email: 'ballmer@none.com' }, {}, { email: null }]) {
          const result = await details(client, kind, key, defaultValue, context);
          expect(result).toMatchObject({ value, reason: 'DEFAULT' });
          expect(result.errorCode).toBeUndefined();
        }
      },
    );

    it('a rule on one attribute among many matches; without it the flag default stands', async () => {
      const staff = {
        fn: 'Sulisław',
        ln: 'Świętopełk',
        email: 'ballmer@macrosoft.com',
        role: 'admin',
        age: 65,
        customer: false,
      };
      expect(await details(client, 'string', 'context-aware', 'EXTERNAL', staff)).toMatchObject({
        value: 'INTERNAL',
        variant: 'internal',
        reason: 'TARGETING_MATCH',
      });
      expect(await details(client, 'string', 'context-aware', 'x', {})).toMatchObject({
        value: 'EXTERNAL',
        variant: 'external',
        reason: 'DEFAULT',
      });
      expect(
        await details(client, 'string', 'context-aware', 'x', { customer: true }),
      ).toMatchObject({ value: 'EXTERNAL', reason: 'DEFAULT' });
    });
  });

  describe('abnormal execution: the default value, reason ERROR and an error code, no throw', () => {
    it.each<[Kind, FlagValue]>([
      ['boolean', false],
      ['string', 'uh-oh'],
      ['number', 1],
      ['number', 0.1],
      ['object', { a: 1 }],
    ])('a missing %s flag: FLAG_NOT_FOUND, with a message naming it', async (kind, fallback) => {
      const result = await details(client, kind, 'missing-flag', fallback);
      expect(result).toMatchObject({
        flagKey: 'missing-flag',
        value: fallback,
        reason: 'ERROR',
        errorCode: 'FLAG_NOT_FOUND',
      });
      expect(result.errorMessage).toContain('flag missing-flag not found');
      expect(result.variant).toBeUndefined();
    });

    it.each<[string, Kind, FlagValue]>([
      ['boolean-flag', 'string', 'bye'],
      ['boolean-flag', 'number', 1],
      ['boolean-flag', 'number', 0.1],
      ['string-flag', 'boolean', false],
      ['string-flag', 'number', 1],
      ['string-flag', 'object', {}],
      ['wrong-flag', 'number', 13],
    ])('%s asked for as a %s: TYPE_MISMATCH', async (key, kind, fallback) => {
      const result = await details(client, kind, key, fallback);
      expect(result).toMatchObject({
        value: fallback,
        reason: 'ERROR',
        errorCode: 'TYPE_MISMATCH',
      });
      expect(result.errorMessage).toEqual(expect.any(String));
    });
  });

  describe('disabled flags', () => {
    it.each<[Kind, string, FlagValue]>([
      ['boolean', 'boolean-disabled-flag', false],
      ['string', 'string-disabled-flag', 'bye'],
    ])('a disabled %s flag answers the caller default, reason DISABLED', async (...row) => {
      const [kind, key, defaultValue] = row;
      const result = await details(client, kind, key, defaultValue);
      expect(result).toMatchObject({ value: defaultValue, reason: 'DISABLED' });
      expect(result.errorCode).toBeUndefined();
    });
  });

  describe('flag metadata', () => {
    it("is the flag's metadata, typed, and immutable", async () => {
      const result = await client.getBooleanDetails('metadata-flag', false);
      expect(result.flagMetadata).toEqual({
        string: '1.0.2',
        integer: 2,
        boolean: true,
        float: 0.1,
        double: 0.1,
      });
      expect(Object.isFrozen(result.flagMetadata)).toBe(true);
    });

    it.each<[Kind, string, FlagValue]>([
      ['boolean', 'boolean-flag', true],
      ['number', 'integer-flag', 23],
      ['number', 'float-flag', 2.3],
      ['string', 'string-flag', 'value'],
    ])('is empty for a %s flag without metadata (%s)', async (kind, key, defaultValue) => {
      expect((await details(client, kind, key, defaultValue)).flagMetadata).toEqual({});
    });

    it('stays available with an error the flag caused (a type mismatch)', async () => {
      const result = await client.getStringDetails('metadata-flag', 'x');
      expect(result.errorCode).toBe('TYPE_MISMATCH');
      expect(result.flagMetadata).toMatchObject({ string: '1.0.2' });
    });
  });

  describe('hooks see what the provider answered', () => {
    function recordingHook(calls: string[], seen: Record<string, unknown>): Hook {
      return {
        before: () => void calls.push('before'),
        after: (_context, evaluation) => {
          calls.push('after');
          seen.after = evaluation;
        },
        error: (_context, error) => {
          calls.push('error');
          seen.error = error;
        },
        finally: (_context, evaluation) => {
          calls.push('finally');
          seen.finally = evaluation;
        },
      };
    }

    it('a resolved flag: before, after and finally, with its details', async () => {
      const calls: string[] = [];
      const seen: Record<string, unknown> = {};
      await details(client, 'boolean', 'boolean-flag', false, {}, [recordingHook(calls, seen)]);
      expect(calls).toEqual(['before', 'after', 'finally']);
      const expected = { flagKey: 'boolean-flag', value: true, variant: 'on', reason: 'STATIC' };
      expect(seen.after).toMatchObject(expected);
      expect(seen.finally).toMatchObject(expected);
      expect((seen.finally as EvaluationDetails<boolean>).errorCode).toBeUndefined();
    });

    it.each<[string, string, string]>([
      ['missing-flag', 'uh-oh', 'FLAG_NOT_FOUND'],
      ['integer-flag', '13', 'TYPE_MISMATCH'],
    ])('%s asked for as a string: before, error and finally with %s', async (...row) => {
      const [key, fallback, errorCode] = row;
      const calls: string[] = [];
      const seen: Record<string, unknown> = {};
      await details(client, 'string', key, fallback, {}, [recordingHook(calls, seen)]);
      expect(calls).toEqual(['before', 'error', 'finally']);
      expect(seen.finally).toMatchObject({
        flagKey: key,
        value: fallback,
        reason: 'ERROR',
        errorCode,
      });
      expect((seen.finally as EvaluationDetails<string>).variant).toBeUndefined();
    });

    it('API, client, invocation and provider hooks run in the specified order', async () => {
      const order: string[] = [];
      const hook = (name: string): Hook => ({
        before: () => void order.push(`${name}:before`),
        after: () => void order.push(`${name}:after`),
      });
      OpenFeature.addHooks(hook('api'));
      const hooked = OpenFeature.getClient(domain);
      hooked.addHooks(hook('client'));
      try {
        await hooked.getBooleanValue('boolean-flag', false, {}, { hooks: [hook('invocation')] });
      } finally {
        OpenFeature.clearHooks();
      }
      expect(provider.hooks).toEqual([]);
      expect(order).toEqual([
        'api:before',
        'client:before',
        'invocation:before',
        'invocation:after',
        'client:after',
        'api:after',
      ]);
    });
  });

  describe('evaluation context', () => {
    it('reaches the provider merged: API < transaction < client < invocation < hooks', async () => {
      // A rule per level: whichever value of `level` wins decides the answer.
      const key = uniqueName('merge-');
      await backend.storage.createFlag({
        key,
        flagType: 'string',
        defaultValue: 'none',
        rules: ['api', 'transaction', 'client', 'invocation', 'hook'].map((level) => ({
          name: level,
          conditions: [{ attribute: 'level', operator: 'eq', value: level }],
          serveValue: level,
        })),
      });
      const merged = OpenFeature.getClient(domain);
      OpenFeature.setTransactionContextPropagator(
        new AsyncLocalStorageTransactionContextPropagator(),
      );
      /** Evaluates inside a transaction whose context sets `level` to 'transaction'. */
      const inTransaction = (context: EvaluationContext = {}) =>
        new Promise<string>((resolve, reject) =>
          OpenFeature.setTransactionContext({ level: 'transaction' }, () => {
            merged.getStringValue(key, 'x', context).then(resolve, reject);
          }),
        );
      try {
        OpenFeature.setContext({ level: 'api' });
        expect(await merged.getStringValue(key, 'x')).toBe('api');
        expect(await inTransaction()).toBe('transaction');
        merged.setContext({ level: 'client' });
        expect(await inTransaction()).toBe('client');
        expect(await inTransaction({ level: 'invocation' })).toBe('invocation');
        const hook: Hook = { before: () => ({ level: 'hook' }) };
        expect(
          await merged.getStringValue(key, 'x', { level: 'invocation' }, { hooks: [hook] }),
        ).toBe('hook');
        // Different keys at different levels all arrive.
        OpenFeature.setContext({ country: 'DE' });
        merged.setContext({ plan: 'gold' });
        const both = uniqueName('both-');
        await backend.storage.createFlag({
          key: both,
          defaultEnabled: false,
          rules: [
            {
              conditions: [
                { attribute: 'country', operator: 'eq', value: 'DE' },
                { attribute: 'plan', operator: 'eq', value: 'gold' },
                { attribute: 'seat', operator: 'gte', value: 3 },
              ],
              serveEnabled: true,
            },
          ],
        });
        expect(await merged.getBooleanValue(both, false, { seat: 3 })).toBe(true);
        expect(await merged.getBooleanValue(both, false, { seat: 2 })).toBe(false);
      } finally {
        OpenFeature.setContext({});
        OpenFeature.setTransactionContextPropagator(NOOP_TRANSACTION_CONTEXT_PROPAGATOR);
      }
    });

    it('maps targetingKey and the known attributes onto Gatekeeper fields', async () => {
      const key = uniqueName('mapped-');
      const flag = await backend.storage.createFlag({
        key,
        flagType: 'string',
        defaultValue: 'everyone',
        rules: [
          {
            name: 'org',
            conditions: [
              { attribute: 'organizationId', operator: 'eq', value: 'acme' },
              { attribute: 'country', operator: 'eq', value: 'PL' },
            ],
            serveValue: 'acme-in-poland',
          },
          {
            name: 'half',
            conditions: [],
            serveValue: 'rolled-out',
            rolloutPercentage: 50,
          },
        ],
      });
      // Overrides are looked up by the mapped fields: user_id → userId, targetingKey as is.
      await backend.storage.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'u-1',
        value: 'for-u-1',
      });
      await backend.storage.createOverride({
        flagId: flag.id,
        entityType: 'targeting_key',
        entityId: 'device-9',
        value: 'for-device-9',
      });
      const ask = (context: Record<string, unknown>) =>
        details(client, 'string', key, 'x', context);
      expect(await ask({ user_id: 'u-1' })).toMatchObject({ value: 'for-u-1', reason: 'OVERRIDE' });
      expect(await ask({ userId: 'u-1' })).toMatchObject({ value: 'for-u-1' });
      expect(await ask({ targetingKey: 'device-9' })).toMatchObject({ value: 'for-device-9' });
      expect(await ask({ organizationId: 'acme', country: 'PL' })).toMatchObject({
        value: 'acme-in-poland',
        variant: 'org',
        reason: 'TARGETING_MATCH',
      });
      // The rollout hashes the targeting key: `user-123` is in a 50% rollout of this flag or not,
      // the same way every time and the same way the Gatekeeper client decides.
      const gatekeeper = new FeatureFlagClient({ storage: backend.storage, logger: false });
      for (const user of ['user-1', 'user-2', 'user-3', 'user-4']) {
        const direct = await gatekeeper.getStringValue(key, 'x', { targetingKey: user });
        expect((await ask({ targetingKey: user })).value).toBe(direct);
      }
    });

    it('leaves the caller context unchanged and answers frozen details', async () => {
      const context = { email: 'ballmer@macrosoft.com', tags: ['a'] };
      const snapshot = structuredClone(context);
      const result = await client.getBooleanDetails('boolean-targeted-zero-flag', true, context);
      expect(context).toEqual(snapshot);
      expect(Object.isFrozen(result.flagMetadata)).toBe(true);
    });
  });

  describe('events', () => {
    /** The next event of `type` from the client, or a rejection after about five seconds. */
    function nextEvent(
      type: ProviderEvents.ConfigurationChanged,
    ): Promise<EventDetails<ProviderEvents.ConfigurationChanged>> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${type} event`)), 5000);
        const handler = (event?: EventDetails<ProviderEvents.ConfigurationChanged>) => {
          clearTimeout(timer);
          client.removeHandler(type, handler);
          resolve(event!);
        };
        client.addHandler(type, handler);
      });
    }

    it('a PROVIDER_READY handler added once the provider is ready runs at once', async () => {
      const ran = jest.fn();
      client.addHandler(ProviderEvents.Ready, ran);
      client.removeHandler(ProviderEvents.Ready, ran);
      expect(ran).toHaveBeenCalledTimes(1);
    });

    it('a flag written through the storage: PROVIDER_CONFIGURATION_CHANGED naming it', async () => {
      const key = uniqueName('changing-flag-');
      let event = nextEvent(ProviderEvents.ConfigurationChanged);
      const flag = await backend.storage.createFlag({ key, defaultEnabled: false });
      expect((await event).flagsChanged).toEqual([key]);
      expect(await client.getBooleanValue(key, true)).toBe(false);

      event = nextEvent(ProviderEvents.ConfigurationChanged);
      await backend.storage.updateFlag({ ...flag, defaultEnabled: true });
      expect(await event).toMatchObject({ flagsChanged: [key], providerName: 'gatekeeper' });
      expect(await client.getBooleanValue(key, false)).toBe(true);

      event = nextEvent(ProviderEvents.ConfigurationChanged);
      await backend.storage.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'u-1',
        enabled: false,
      });
      expect((await event).flagsChanged).toEqual([key]);

      event = nextEvent(ProviderEvents.ConfigurationChanged);
      await backend.storage.deleteFlag(key);
      expect((await event).flagsChanged).toEqual([key]);
      expect((await client.getBooleanDetails(key, true)).errorCode).toBe('FLAG_NOT_FOUND');
    });

    it('a segment written through the storage: PROVIDER_CONFIGURATION_CHANGED for every flag', async () => {
      const event = nextEvent(ProviderEvents.ConfigurationChanged);
      await backend.storage.createSegment!({ name: uniqueName('segment-'), conditions: [] });
      // Any flag naming the segment may answer differently now: no list of keys.
      expect((await event).flagsChanged).toBeUndefined();
    });
  });
});

/** A storage that can lose its backend on command, over the memory storage or a real Redis. */
const OUTAGE_BACKENDS: Array<[string, () => Promise<Backend>]> = BACKENDS.map(([name, open]) => [
  name,
  async () => {
    const inner = await open();
    return { storage: new OutageStorage(inner.storage), close: () => inner.close() };
  },
]);

describe.each(OUTAGE_BACKENDS)('GatekeeperProvider status and lifecycle (%s)', (name, open) => {
  let backend: Backend;
  let outage: OutageStorage;

  beforeEach(async () => {
    backend = await open();
    outage = backend.storage as OutageStorage;
    await backend.storage.createFlag({ key: 'boolean-flag', defaultEnabled: true });
  });

  afterEach(async () => {
    outage.release();
    await OpenFeature.clearProviders();
    await backend.close();
  });

  const provide = (storage: FeatureFlagStorage = outage) =>
    new GatekeeperProvider(new FeatureFlagClient({ storage, logger: false }));

  it('is NOT_READY until the storage has answered; evaluations short-circuit meanwhile', async () => {
    const domain = uniqueName(`not-ready-${name}-`);
    outage.state = 'hang';
    const ready = OpenFeature.setProviderAndWait(domain, provide());
    const client = OpenFeature.getClient(domain);
    expect(client.providerStatus).toBe(ProviderStatus.NOT_READY);
    expect(await client.getBooleanDetails('boolean-flag', false)).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'PROVIDER_NOT_READY',
    });
    // The health check fails once released: initialization reports an error.
    outage.release();
    await expect(ready).rejects.toThrow(/not reachable/);
    expect(client.providerStatus).toBe(ProviderStatus.ERROR);
  });

  it('fails to initialize while the storage is down (PROVIDER_ERROR), then recovers (PROVIDER_READY)', async () => {
    const domain = uniqueName(`error-${name}-`);
    outage.state = 'down';
    const client = OpenFeature.getClient(domain);
    const errors = jest.fn();
    const readies = jest.fn();
    client.addHandler(ProviderEvents.Error, errors);
    client.addHandler(ProviderEvents.Ready, readies);
    await expect(OpenFeature.setProviderAndWait(domain, provide())).rejects.toThrow(
      'feature flag storage is not reachable',
    );
    expect(client.providerStatus).toBe(ProviderStatus.ERROR);
    expect(await eventually(() => errors.mock.calls.length === 1)).toBe(true);
    expect(errors.mock.calls[0][0]).toMatchObject({ message: expect.stringMatching(/reachable/) });

    // Evaluations still reach the provider in ERROR: the caller's default, GENERAL.
    expect(await client.getBooleanDetails('boolean-flag', false)).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'GENERAL',
    });
    outage.state = 'up';
    expect(await client.getBooleanValue('boolean-flag', false)).toBe(true);
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(await eventually(() => readies.mock.calls.length === 1)).toBe(true);
  });

  it('goes STALE while answers come from the local cache, ERROR without one, READY after', async () => {
    const domain = uniqueName(`stale-${name}-`);
    const cached = new LocalCacheFeatureFlagStorage(outage, { ttl: 3600 });
    await OpenFeature.setProviderAndWait(domain, provide(cached));
    const client = OpenFeature.getClient(domain);
    const stale = jest.fn();
    client.addHandler(ProviderEvents.Stale, stale);
    expect(await client.getBooleanValue('boolean-flag', false)).toBe(true);
    expect(client.providerStatus).toBe(ProviderStatus.READY);

    outage.state = 'down';
    // The health check tells the cache the storage is failing; cached answers then say CACHED.
    expect(await cached.healthCheck()).toBe(false);
    expect(await client.getBooleanDetails('boolean-flag', false)).toMatchObject({
      value: true,
      reason: 'CACHED',
    });
    expect(client.providerStatus).toBe(ProviderStatus.STALE);
    expect(await eventually(() => stale.mock.calls.length === 1)).toBe(true);
    // A flag the cache never saw cannot be served: the storage failure is an error.
    expect(await client.getBooleanDetails('never-read', false)).toMatchObject({
      reason: 'ERROR',
      errorCode: 'GENERAL',
    });
    expect(client.providerStatus).toBe(ProviderStatus.ERROR);

    outage.state = 'up';
    expect(await cached.healthCheck()).toBe(true);
    expect(await client.getBooleanDetails('boolean-flag', false)).toMatchObject({
      value: true,
      reason: 'STATIC',
    });
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    await cached.close();
  });

  it('stops reporting changes once closed, and leaves the storage open', async () => {
    const domain = uniqueName(`closed-${name}-`);
    const provider = provide();
    await OpenFeature.setProviderAndWait(domain, provider);
    const changed = jest.fn();
    provider.events.addHandler(ProviderEvents.ConfigurationChanged, changed);
    await outage.createFlag({ key: 'before-close' });
    expect(changed).toHaveBeenCalledTimes(1);

    await OpenFeature.clearProviders();
    await outage.createFlag({ key: 'after-close' });
    expect(changed).toHaveBeenCalledTimes(1);
    expect(await outage.getFlag('after-close')).not.toBeNull();
  });
});

describe('GatekeeperProvider and changes made by another instance (real Redis pub/sub)', () => {
  const instances: INestApplicationContext[] = [];

  afterEach(async () => {
    await OpenFeature.clearProviders();
    await Promise.all(instances.splice(0).map((instance) => instance.close()));
  });

  it('emits PROVIDER_CONFIGURATION_CHANGED for a flag another instance changed', async () => {
    const options = {
      backend: 'redis' as const,
      redisUrl: testUrls().redis,
      redisPrefix: uniqueName('ofc:') + ':',
      localCache: { ttl: 3600 },
    };
    for (let i = 0; i < 2; i++) {
      const moduleRef = await Test.createTestingModule({
        imports: [FeatureFlagsModule.forRoot(options)],
      }).compile();
      moduleRef.useLogger(false);
      instances.push(await moduleRef.init());
    }
    const [a, b] = instances;
    const storageA = a.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
    const domain = uniqueName('pubsub-');
    await OpenFeature.setProviderAndWait(domain, new GatekeeperProvider(b.get(FeatureFlagClient)));
    const client = OpenFeature.getClient(domain);
    const flag = await storageA.createFlag({ key: 'shared-flag', defaultEnabled: false });
    // Read on B, so B's cache holds the flag.
    expect(await client.getBooleanValue('shared-flag', true)).toBe(false);

    const events: Array<EventDetails<ProviderEvents.ConfigurationChanged>> = [];
    client.addHandler(ProviderEvents.ConfigurationChanged, (event) => void events.push(event!));
    await storageA.updateFlag({ ...flag, defaultEnabled: true });
    expect(
      await eventually(() => events.some((event) => event.flagsChanged?.includes('shared-flag'))),
    ).toBe(true);
    expect(await client.getBooleanValue('shared-flag', false)).toBe(true);

    await storageA.createOverride({
      flagId: flag.id,
      entityType: 'user',
      entityId: 'u-1',
      enabled: false,
    });
    expect(await eventually(() => events.length >= 2)).toBe(true);
    expect(events[1].flagsChanged).toEqual(['shared-flag']);
    expect(await client.getBooleanValue('shared-flag', true, { userId: 'u-1' })).toBe(false);
  });
});
