import { OutageStorage } from '../../../../test/feature-flags/support/outage.storage';
import { FeatureFlagClient } from '../feature-flag.client';
import type { EvaluationContext } from '../models/evaluation.model';
import type { CreateFlagInput } from '../models/feature-flag.model';
import { LocalCacheFeatureFlagStorage } from '../storage/local-cache.storage';
import { MemoryFeatureFlagStorage } from '../storage/memory.storage';
import { murmur3, murmur3Joined } from './murmur3';

// The hot-path shortcuts (see docs/performance.md) must not change a single answer.
describe('evaluation fast path', () => {
  it('hashes joined parts exactly as the joined string, ASCII or not', () => {
    const parts: Array<[string, string, string]> = [
      ['new_checkout', ':', 'user-123'],
      ['', ':', ''],
      ['a', ':variant:', 'bcd'],
      ['flag', ':', 'ünïcødé-✓'],
      ['ключ', ':variant:', 'user'],
      ['x'.repeat(37), ':', 'y'.repeat(41)],
    ];
    for (const [head, separator, tail] of parts) {
      expect(murmur3Joined(head, separator, tail)).toBe(murmur3(head + separator + tail));
      expect(murmur3Joined(head, separator, tail, 7)).toBe(murmur3(head + separator + tail, 7));
    }
  });

  const flags: CreateFlagInput[] = [
    { key: 'plain', defaultEnabled: true },
    { key: 'off', status: 'inactive', defaultEnabled: true },
    {
      key: 'rollout',
      rules: [
        {
          name: 'eu',
          conditions: [{ attribute: 'country', operator: 'in', value: ['DE', 'FR'] }],
          rolloutPercentage: 50,
        },
        { name: 'beta', conditions: [{ attribute: 'plan', operator: 'eq', value: 'beta' }] },
        {
          name: 'snake',
          conditions: [{ attribute: 'user_id', operator: 'starts_with', value: 'vip' }],
        },
      ],
    },
    {
      key: 'split',
      flagType: 'string',
      variants: [
        { key: 'a', value: 'A', weight: 50 },
        { key: 'b', value: 'B', weight: 50 },
      ],
    },
  ];
  const contexts: Array<EvaluationContext | undefined> = [
    undefined,
    {},
    { userId: 'u1' },
    { targetingKey: 't1', country: 'DE' },
    { userId: 'u2', targetingKey: null as never, country: 'FR' },
    { userId: null as never, country: 'DE', attributes: { plan: 'beta' } },
    { userId: 'vip-7', organizationId: 'o1', tenantId: 'x' },
    { targetingKey: '', userId: 'u3', country: 'DE' },
    { userId: 42 as never },
  ];

  it.each([{}, { environment: 'prod', attributes: { plan: 'beta' } }])(
    'answers like the client over a plain storage for every context (default context %j)',
    async (defaultContext) => {
      const plain = new MemoryFeatureFlagStorage();
      for (const flag of flags) await plain.createFlag(flag);
      const rollout = (await plain.getFlag('rollout'))!;
      await plain.createOverride({
        flagId: rollout.id,
        entityType: 'organization',
        entityId: 'o1',
        enabled: false,
      });
      const cached = new LocalCacheFeatureFlagStorage(plain, { ttl: 60 });
      const reference = new FeatureFlagClient({
        storage: new OutageStorage(plain),
        defaultContext,
        logger: false,
      });
      const fast = [cached, plain].map(
        (storage) => new FeatureFlagClient({ storage, defaultContext, logger: false }),
      );

      for (let pass = 0; pass < 2; pass++) {
        // Pass 0 fills the cache; pass 1 is answered from it.
        for (const key of [...flags.map((f) => f.key), 'missing']) {
          for (const context of contexts) {
            for (const client of fast) {
              expect(await client.getEnabledDetails(key, false, context)).toEqual(
                await reference.getEnabledDetails(key, false, context),
              );
              expect(await client.getStringDetails(key, 'dflt', context)).toEqual(
                await reference.getStringDetails(key, 'dflt', context),
              );
            }
          }
        }
      }
    },
  );
});
