import {
  LocalCacheFeatureFlagStorage,
  MemoryFeatureFlagStorage,
  type CreateFlagInput,
} from '@gatekeeper/feature-flags';
import { fmt, type PartResult } from './support/result';

/** Part e: heap bytes per flag with 100,000 flags, in the memory storage and in the cache. */
const COUNT = 100_000;

function flag(i: number): CreateFlagInput {
  return {
    key: `feature-${i}`,
    description: 'benchmark flag',
    tags: ['bench'],
    rules: [
      {
        name: 'beta-countries',
        conditions: [{ attribute: 'country', operator: 'in', value: ['US', 'CA', 'GB'] }],
        rolloutPercentage: 50,
      },
    ],
  };
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

export async function runMemory(): Promise<PartResult> {
  const before = heapUsed();
  const storage = new MemoryFeatureFlagStorage();
  for (let i = 0; i < COUNT; i++) await storage.createFlag(flag(i));
  const stored = heapUsed();

  const cache = new LocalCacheFeatureFlagStorage(storage, { ttl: 3600, maxEntries: COUNT });
  for (let i = 0; i < COUNT; i++) await cache.getFlag(`feature-${i}`);
  const cached = heapUsed();
  if (cache.size !== COUNT) throw new Error(`expected ${COUNT} cached flags, got ${cache.size}`);

  const inMemory = (stored - before) / COUNT;
  const inCache = (cached - stored) / COUNT;
  await cache.close();
  return {
    part: 'e',
    title: `e) Memory: heap bytes per flag with ${fmt(COUNT)} flags (one rule, one condition, 50% rollout)`,
    headers: ['where', 'bytes per flag', `total for ${fmt(COUNT)}`],
    rows: [
      ['MemoryFeatureFlagStorage', fmt(inMemory), `${fmt((inMemory * COUNT) / 2 ** 20, 1)} MiB`],
      [
        'LocalCacheFeatureFlagStorage (entry + flag)',
        fmt(inCache),
        `${fmt((inCache * COUNT) / 2 ** 20, 1)} MiB`,
      ],
    ],
    targets: [],
    notes: [
      `cache.maxEntries bounds this: the default 10,000 entries is about ${fmt((inCache * 10_000) / 2 ** 20, 1)} MiB.`,
    ],
  };
}
