import { OpenFeature, InMemoryProvider } from '@openfeature/server-sdk';
import { basicLogger, init as initLaunchDarkly, integrations } from '@launchdarkly/node-server-sdk';
import { GrowthBookClient } from '@growthbook/growthbook';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  FEATURE_FLAG_STORAGE,
  FeatureFlagClient,
  FeatureFlagsModule,
  MemoryFeatureFlagStorage,
  rolloutBucket,
  type CreateFlagInput,
  type EvaluationContext,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { interleaved } from './support/measure';
import { benchUrls, fmt, ratio, type PartResult } from './support/result';

// Fifteen alternating windows of 50 ms per library and flag: the time three 250 ms rounds took.
const WINDOWS = 15;
const WINDOW_MS = 50;

/**
 * Part a: the same three flags, evaluated offline by our client (flag cached in process) and by
 * four peers, each given prebuilt contexts in its own format for the same 1,000 users.
 */
const COUNTRIES = ['US', 'CA', 'GB'];
const USERS = Array.from({ length: 1_000 }, (_, i) => ({
  id: `user-${i}`,
  country: i % 4 === 0 ? 'FR' : COUNTRIES[i % 3],
}));

const FLAGS = [
  { key: 'simple', label: 'simple on/off' },
  { key: 'in-rule', label: 'rule with `in`' },
  { key: 'rollout', label: '50% rollout + rule' },
  { key: 'segment', label: 'nested in_segment' },
] as const;
type FlagKey = (typeof FLAGS)[number]['key'];

const OURS: CreateFlagInput[] = [
  { key: 'simple', defaultEnabled: true },
  {
    key: 'in-rule',
    rules: [
      {
        name: 'countries',
        conditions: [{ attribute: 'country', operator: 'in', value: COUNTRIES }],
      },
    ],
  },
  {
    key: 'rollout',
    rules: [
      {
        name: 'half-of-countries',
        conditions: [{ attribute: 'country', operator: 'in', value: COUNTRIES }],
        rolloutPercentage: 50,
      },
    ],
  },
  {
    key: 'segment',
    rules: [
      {
        name: 'known-north-americans',
        conditions: [{ attribute: 'segment', operator: 'in_segment', value: 'na-known' }],
      },
    ],
  },
];

/** North America, narrowed to known users: peers get the same two conditions, flattened. */
const NORTH_AMERICA = ['US', 'CA'];
async function createSegments(storage: FeatureFlagStorage): Promise<void> {
  for (const name of ['na-known', 'north-america']) {
    const existing = await storage.getSegmentByName!(name);
    if (existing) await storage.deleteSegment!(existing.id);
  }
  const parent = await storage.createSegment!({
    name: 'north-america',
    conditions: [{ attribute: 'country', operator: 'in', value: NORTH_AMERICA }],
  });
  await storage.createSegment!({
    name: 'na-known',
    parentSegmentId: parent.id,
    conditions: [{ attribute: 'userId', operator: 'starts_with', value: 'user-' }],
  });
}

type Evaluate = (flag: FlagKey, user: number) => unknown;

function ours(client: FeatureFlagClient): Evaluate {
  // What the default request resolver builds for a signed-in user, plus a country header.
  const contexts: EvaluationContext[] = USERS.map((u) => ({
    userId: u.id,
    targetingKey: u.id,
    country: u.country,
  }));
  return (flag, user) => client.isEnabled(flag, contexts[user % contexts.length]);
}

async function unleash(): Promise<{ evaluate: Evaluate; close: () => void }> {
  const constraint = { contextName: 'country', operator: 'IN', values: COUNTRIES };
  const client = new Unleash({
    appName: 'bench',
    url: 'http://127.0.0.1:9/unused',
    refreshInterval: 0,
    disableMetrics: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: {
      data: [
        {
          name: 'simple',
          enabled: true,
          strategies: [{ name: 'default', parameters: {}, constraints: [] }],
        },
        {
          name: 'in-rule',
          enabled: true,
          strategies: [{ name: 'default', parameters: {}, constraints: [constraint] }],
        },
        {
          name: 'rollout',
          enabled: true,
          strategies: [
            {
              name: 'flexibleRollout',
              parameters: { rollout: '50', stickiness: 'userId', groupId: 'rollout' },
              constraints: [constraint],
            },
          ],
        },
        {
          name: 'segment',
          enabled: true,
          strategies: [
            {
              name: 'default',
              parameters: {},
              constraints: [
                { contextName: 'country', operator: 'IN', values: NORTH_AMERICA },
                { contextName: 'userId', operator: 'STR_STARTS_WITH', values: ['user-'] },
              ],
            },
          ],
        },
      ] as never,
    },
  });
  client.on('error', () => undefined);
  client.on('warn', () => undefined);
  await new Promise<void>((resolve) => client.once('ready', () => resolve()));
  const contexts = USERS.map((u) => ({ userId: u.id, properties: { country: u.country } }));
  return {
    evaluate: (flag, user) => client.isEnabled(flag, contexts[user % contexts.length]),
    close: () => client.destroy(),
  };
}

async function openFeature(): Promise<Evaluate> {
  const variants = { on: true, off: false };
  await OpenFeature.setProviderAndWait(
    new InMemoryProvider({
      simple: { variants, defaultVariant: 'on', disabled: false },
      'in-rule': {
        variants,
        defaultVariant: 'off',
        disabled: false,
        contextEvaluator: (ctx) => (COUNTRIES.includes(ctx.country as string) ? 'on' : 'off'),
      },
      rollout: {
        variants,
        defaultVariant: 'off',
        disabled: false,
        // InMemoryProvider has no rollouts: the provider user writes the bucketing (ours, here).
        contextEvaluator: (ctx) =>
          COUNTRIES.includes(ctx.country as string) &&
          rolloutBucket('rollout', ctx.targetingKey as string) <= 50
            ? 'on'
            : 'off',
      },
      segment: {
        variants,
        defaultVariant: 'off',
        disabled: false,
        contextEvaluator: (ctx) =>
          NORTH_AMERICA.includes(ctx.country as string) &&
          (ctx.targetingKey as string).startsWith('user-')
            ? 'on'
            : 'off',
      },
    }),
  );
  const client = OpenFeature.getClient();
  const contexts = USERS.map((u) => ({ targetingKey: u.id, country: u.country }));
  return (flag, user) => client.getBooleanValue(flag, false, contexts[user % contexts.length]);
}

async function launchDarkly(): Promise<{ evaluate: Evaluate; close: () => void }> {
  const td = new integrations.TestData();
  await td.update(td.flag('simple').booleanFlag().variationForAll(true));
  await td.update(
    td
      .flag('in-rule')
      .booleanFlag()
      .fallthroughVariation(false)
      .ifMatch('user', 'country', ...COUNTRIES)
      .thenReturn(true),
  );
  await td.usePreconfiguredFlag({
    key: 'rollout',
    on: true,
    variations: [true, false],
    offVariation: 1,
    fallthrough: { variation: 1 },
    rules: [
      {
        id: 'half-of-countries',
        clauses: [
          { contextKind: 'user', attribute: 'country', op: 'in', values: COUNTRIES, negate: false },
        ],
        rollout: {
          variations: [
            { variation: 0, weight: 50_000 },
            { variation: 1, weight: 50_000 },
          ],
        },
      },
    ],
    targets: [],
    contextTargets: [],
    prerequisites: [],
    salt: 'bench',
    version: 1,
  });
  await td.usePreconfiguredFlag({
    key: 'segment',
    on: true,
    variations: [true, false],
    offVariation: 1,
    fallthrough: { variation: 1 },
    rules: [
      {
        id: 'known-north-americans',
        variation: 0,
        clauses: [
          {
            contextKind: 'user',
            attribute: 'country',
            op: 'in',
            values: NORTH_AMERICA,
            negate: false,
          },
          {
            contextKind: 'user',
            attribute: 'key',
            op: 'startsWith',
            values: ['user-'],
            negate: false,
          },
        ],
      },
    ],
    targets: [],
    contextTargets: [],
    prerequisites: [],
    salt: 'bench',
    version: 1,
  });
  const client = initLaunchDarkly('sdk-bench-offline', {
    updateProcessor: td.getFactory(),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: basicLogger({ level: 'none' }),
  });
  await client.waitForInitialization({ timeout: 10 });
  const contexts = USERS.map((u) => ({ kind: 'user', key: u.id, country: u.country }));
  return {
    evaluate: (flag, user) => client.variation(flag, contexts[user % contexts.length], false),
    close: () => client.close(),
  };
}

async function growthBook(): Promise<{ evaluate: Evaluate; close: () => void }> {
  const condition = { country: { $in: COUNTRIES } };
  const client = new GrowthBookClient().initSync({
    payload: {
      features: {
        simple: { defaultValue: true },
        'in-rule': { defaultValue: false, rules: [{ condition, force: true }] },
        rollout: {
          defaultValue: false,
          rules: [{ condition, force: true, coverage: 0.5, hashAttribute: 'id' }],
        },
        segment: {
          defaultValue: false,
          rules: [
            {
              condition: { country: { $in: NORTH_AMERICA }, id: { $regex: '^user-' } },
              force: true,
            },
          ],
        },
      },
    },
  });
  const contexts = USERS.map((u) => ({ attributes: { id: u.id, country: u.country } }));
  return {
    evaluate: (flag, user) => client.isOn(flag, contexts[user % contexts.length]),
    close: () => client.destroy(),
  };
}

export async function runEvaluation(): Promise<PartResult> {
  const { redis } = benchUrls();
  // The production configuration: the module's redis backend in its localCache (and its clock).
  @Module({
    imports: [
      FeatureFlagsModule.forRoot({
        backend: 'redis',
        redisUrl: redis,
        redisPrefix: 'bench-eval:',
        localCache: { ttl: 3600, maxEntries: 10_000 },
      }),
    ],
  })
  class BenchEvaluationModule {}
  const app = await NestFactory.createApplicationContext(BenchEvaluationModule, { logger: false });
  // The same, with the Prometheus metrics on: evaluations and cache lookups counted.
  @Module({
    imports: [
      FeatureFlagsModule.forRoot({
        backend: 'redis',
        redisUrl: redis,
        redisPrefix: 'bench-eval:',
        localCache: { ttl: 3600, maxEntries: 10_000 },
        metrics: true,
      }),
    ],
  })
  class BenchEvaluationMetricsModule {}
  const withMetrics = await NestFactory.createApplicationContext(BenchEvaluationMetricsModule, {
    logger: false,
  });
  const cached = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
  await createSegments(cached);
  for (const flag of OURS) {
    await cached.deleteFlag(flag.key);
    await cached.createFlag(flag);
  }
  const memory = new MemoryFeatureFlagStorage();
  await createSegments(memory);
  for (const flag of OURS) await memory.createFlag(flag);

  const oursCached = ours(app.get(FeatureFlagClient));
  const oursMemory = ours(new FeatureFlagClient({ storage: memory, logger: false }));
  const un = await unleash();
  const of = await openFeature();
  const ld = await launchDarkly();
  const gb = await growthBook();

  const libraries: Record<string, Evaluate> = {
    'gatekeeper (redis + cache)': oursCached,
    'unleash-client': un.evaluate,
    '@openfeature InMemoryProvider': of,
    '@launchdarkly TestData': ld.evaluate,
    '@growthbook GrowthBookClient': gb.evaluate,
    'gatekeeper (memory, no cache)': oursMemory,
    'gatekeeper (redis + cache, metrics: true)': ours(withMetrics.get(FeatureFlagClient)),
  };
  const peers = [
    'unleash-client',
    '@openfeature InMemoryProvider',
    '@launchdarkly TestData',
    '@growthbook GrowthBookClient',
  ];
  const OUR = 'gatekeeper (redis + cache)';

  // Same answers first: a benchmark of different semantics would be meaningless.
  const disagreements: string[] = [];
  for (const { key } of FLAGS) {
    for (const [name, evaluate] of Object.entries(libraries)) {
      let on = 0;
      for (let u = 0; u < USERS.length; u++) if (await evaluate(key, u)) on++;
      if (key !== 'rollout' ? on !== expectedOn(key) : Math.abs(on - expectedOn(key)) > 60) {
        disagreements.push(
          `${name} turns ${key} on for ${on}/1000 users (expected ~${expectedOn(key)})`,
        );
      }
    }
  }

  const results: Record<FlagKey, Record<string, number>> = {} as never;
  for (const { key } of FLAGS) {
    const candidates = Object.fromEntries(
      Object.entries(libraries).map(([name, evaluate]) => [name, (i: number) => evaluate(key, i)]),
    );
    results[key] = await interleaved(candidates, WINDOWS, WINDOW_MS);
  }

  un.close();
  ld.close();
  gb.close();
  await OpenFeature.close();
  await app.close();
  await withMetrics.close();

  const rows = Object.keys(libraries).map((name) => [
    name,
    ...FLAGS.flatMap(({ key }) => {
      const ns = results[key][name];
      return [fmt(ns), name === OUR ? '1.00x' : ratio(ns / results[key][OUR])];
    }),
  ]);
  const targets = FLAGS.map(({ key, label }) => {
    const slowerPeers = peers.filter((peer) => results[key][peer] <= results[key][OUR]);
    return {
      name: `a: ours faster than every peer on ${label}`,
      met: slowerPeers.length === 0,
      detail: slowerPeers.length === 0 ? 'yes' : `not faster than ${slowerPeers.join(', ')}`,
    };
  });
  const fastestPeer = Math.min(...peers.map((peer) => results.rollout[peer]));
  targets.push({
    name: 'a: >= 3x faster than the fastest peer on the rollout flag',
    met: fastestPeer / results.rollout[OUR] >= 3,
    detail: `${ratio(fastestPeer / results.rollout[OUR])}`,
  });
  if (disagreements.length > 0) {
    targets.push({
      name: 'a: every library gives the same answers',
      met: false,
      detail: disagreements.join('; '),
    });
  }
  return {
    part: 'a',
    title: 'a) Flag evaluation, offline (ns per call, lower is better; ratio = peer / ours)',
    headers: ['library', ...FLAGS.flatMap(({ label }) => [label, 'ratio'])],
    rows,
    targets,
    notes: [
      `Each call awaited when the API is async (ours, OpenFeature, LaunchDarkly); 1,000 users cycled; ${WINDOWS} windows of ${WINDOW_MS} ms per library, alternating between the libraries; ns/call over all of them.`,
      "Ours: the module's FeatureFlagClient, backend 'redis' with localCache: { ttl } (warm: no I/O).",
      'metrics: true counts each evaluation and cache lookup on prom-client (labelled children are reused, so no allocation per call).',
    ],
  };
}

function expectedOn(key: FlagKey): number {
  const inCountries = USERS.filter((u) => COUNTRIES.includes(u.country)).length;
  if (key === 'simple') return USERS.length;
  if (key === 'in-rule') return inCountries;
  if (key === 'segment') return USERS.filter((u) => NORTH_AMERICA.includes(u.country)).length;
  return Math.round(inCountries / 2);
}
