import {
  buildFlag,
  buildOverride,
  type CreateFlagInput,
  type FeatureFlag,
} from '../models/feature-flag.model';
import { FeatureFlagClient } from '../feature-flag.client';
import { MemoryFeatureFlagStorage } from '../storage/memory.storage';
import { rolloutBucket, variantBucket } from './bucketing';
import { evaluateFlag } from './evaluation.engine';

/*
 * Each case pins one decision of docs/feature-flags/litestar-flags.md ("Evaluation differences"):
 * where Gatekeeper and litestar-flags 0.2.1 answer differently on the same stored flag, which
 * answer Gatekeeper gives. Change a case only together with that page and CHANGELOG.md.
 */

const flag = (input: Omit<CreateFlagInput, 'key'> & { key?: string }): FeatureFlag =>
  buildFlag({ key: 'interop', ...input });

const ruleOn = (attribute: string, operator: string, value: unknown): FeatureFlag =>
  flag({
    rules: [{ name: 'r', conditions: [{ attribute, operator, value }], serveEnabled: true }],
  } as CreateFlagInput);

describe('litestar-flags compatibility decisions', () => {
  it('same as litestar-flags: buckets past variant weights that add up to 60 get the last variant', () => {
    const sixty = flag({
      flagType: 'string',
      defaultValue: 'default',
      variants: [
        { key: 'beta', value: 'B', weight: 30 },
        { key: 'alpha', value: 'A', weight: 30 },
      ],
    });
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const bucket = variantBucket('interop', `user-${i}`);
      const result = evaluateFlag(sixty, { targetingKey: `user-${i}` });
      // alpha covers 0–29, beta 30–59; 60–99 fall back to beta, the last key.
      expect(result.variant).toBe(bucket < 30 ? 'alpha' : 'beta');
      seen.add(result.value as string);
    }
    expect(seen).toEqual(new Set(['A', 'B']));
  });

  it('ours: without a targeting key, the user id places the user in a rollout', async () => {
    const storage = new MemoryFeatureFlagStorage();
    await storage.createFlag({
      key: 'interop',
      rules: [{ name: 'half', conditions: [], serveEnabled: true, rolloutPercentage: 50 }],
    });
    const client = new FeatureFlagClient({ storage, logger: false });
    for (let i = 0; i < 100; i++) {
      const inside = rolloutBucket('interop', `user-${i}`) <= 50;
      await expect(client.isEnabled('interop', { userId: `user-${i}` })).resolves.toBe(inside);
    }
  });

  it.each(['ne', 'not_in', 'not_contains'])(
    'ours: %s does not match a missing attribute (fails closed, as LaunchDarkly does)',
    (operator) => {
      const value = operator === 'not_in' ? ['US'] : 'US';
      expect(evaluateFlag(ruleOn('country', operator, value), {}).reason).toBe('STATIC');
      expect(evaluateFlag(ruleOn('country', operator, value), { country: 'DE' }).reason).toBe(
        'TARGETING_MATCH',
      );
    },
  );

  it('ours: numeric strings compare as numbers (attributes from headers and queries are text)', () => {
    const adults = ruleOn('age', 'gte', 18);
    expect(evaluateFlag(adults, { attributes: { age: '21' } }).reason).toBe('TARGETING_MATCH');
    expect(evaluateFlag(adults, { attributes: { age: '9' } }).reason).toBe('STATIC');
  });

  it('ours: full SemVer 2.0, with a leading v and pre-releases below their release', () => {
    const beforeRelease = ruleOn('appVersion', 'semver_lt', '2.0.0');
    expect(evaluateFlag(beforeRelease, { appVersion: 'v2.0.0-rc.1' }).reason).toBe(
      'TARGETING_MATCH',
    );
    expect(evaluateFlag(beforeRelease, { appVersion: '2.0.0' }).reason).toBe('STATIC');
  });

  it('same as litestar-flags: numeric dates are Unix seconds', () => {
    // 1767225600 = 2026-01-01T00:00:00Z
    const launched = ruleOn('signedUpAt', 'date_after', 1767225600);
    const at = (iso: string) => ({ attributes: { signedUpAt: Date.parse(iso) / 1000 } });
    expect(evaluateFlag(launched, at('2026-03-01T00:00:00Z')).reason).toBe('TARGETING_MATCH');
    expect(evaluateFlag(launched, at('2025-12-31T00:00:00Z')).reason).toBe('STATIC');
    expect(evaluateFlag(launched, { attributes: { signedUpAt: '2026-01-02' } }).reason).toBe(
      'TARGETING_MATCH',
    );
  });

  it('ours: a rule without a serve value on a string flag serves the flag default, not a boolean', () => {
    const copy = flag({
      flagType: 'string',
      defaultValue: 'Buy',
      rules: [{ name: 'all', conditions: [], serveEnabled: true, serveValue: null }],
    });
    expect(evaluateFlag(copy, {})).toMatchObject({ value: 'Buy', reason: 'TARGETING_MATCH' });
  });

  it('ours: a split without a targeting key serves the default and says why', () => {
    const split = flag({
      flagType: 'string',
      defaultValue: 'd',
      variants: [
        { key: 'a', value: 'A', weight: 50 },
        { key: 'b', value: 'B', weight: 50 },
      ],
    });
    expect(evaluateFlag(split, {})).toMatchObject({
      value: 'd',
      reason: 'DEFAULT',
      errorCode: 'TARGETING_KEY_MISSING',
    });
  });

  it('ours: an unknown operator never matches (litestar-flags skips the condition)', () => {
    const typo = ruleOn('country', 'equals', 'DE');
    expect(evaluateFlag(typo, { country: 'DE' }).reason).toBe('STATIC');
  });

  it('ours: a targeting_key override applies even when the targeting key is the user id', () => {
    const gated = flag({ defaultEnabled: false });
    const override = buildOverride({
      flagId: gated.id,
      entityType: 'targeting_key',
      entityId: 'user-1',
      enabled: true,
    });
    // Overrides come in OVERRIDE_ENTITY_TYPES order: user, organization, tenant, targeting_key.
    const result = evaluateFlag(gated, { userId: 'user-1', targetingKey: 'user-1' }, [
      null,
      null,
      null,
      override,
    ]);
    expect(result).toMatchObject({ enabled: true, reason: 'OVERRIDE' });
  });
  it('ours: time_window times of day are read on the wall clock of its timezone', () => {
    const office = ruleOn('now', 'time_window', {
      start: '09:00',
      end: '17:00',
      timezone: 'America/New_York',
    });
    // 10:00 in New York, sent as UTC and with a Tokyo offset: the same instant, the same answer.
    for (const now of ['2026-01-05T15:00:00Z', '2026-01-06T00:00:00+09:00']) {
      expect(evaluateFlag(office, { attributes: { now } }).reason).toBe('TARGETING_MATCH');
    }
  });

  it('ours: a time_window excludes its end', () => {
    const morning = ruleOn('now', 'time_window', { start: '09:00', end: '12:00' });
    expect(evaluateFlag(morning, { attributes: { now: '2026-01-05T12:00:00Z' } }).reason).toBe(
      'STATIC',
    );
  });
});
