import { buildFlag, type CreateFlagInput, type FeatureFlag } from '../models/feature-flag.model';
import { variantBucket } from './bucketing';
import { evaluateFlag } from './evaluation.engine';

const flag = (input: Omit<CreateFlagInput, 'key'> & { key?: string }): FeatureFlag =>
  buildFlag({ key: 'new_checkout', ...input });

// Status, overrides and rules: evaluation.engine.spec.ts.
describe('evaluateFlag', () => {
  describe('variants', () => {
    const variants = [
      { key: 'a-control', value: 'classic', weight: 50 },
      { key: 'b-treatment', value: 'one-page', weight: 50 },
    ];

    it('split by the targeting key when no rule matched', () => {
      // new_checkout / user-123 is in variant bucket 71.
      const result = evaluateFlag(flag({ flagType: 'string', variants }), {
        targetingKey: 'user-123',
      });
      expect(result).toMatchObject({ value: 'one-page', reason: 'SPLIT', variant: 'b-treatment' });
    });

    it('come after rules', () => {
      const result = evaluateFlag(
        flag({
          flagType: 'string',
          variants,
          rules: [{ name: 'vip', conditions: [], serveValue: 'vip' }],
        }),
        { targetingKey: 'user-123' },
      );
      expect(result).toMatchObject({ value: 'vip', reason: 'TARGETING_MATCH' });
    });

    it('serve the flag default and say so without a targeting key', () => {
      const result = evaluateFlag(
        flag({ flagType: 'string', defaultValue: 'classic', variants }),
        {},
      );
      expect(result).toMatchObject({
        value: 'classic',
        reason: 'DEFAULT',
        errorCode: 'TARGETING_KEY_MISSING',
      });
    });

    it('read litestar-style boolean variants ({"enabled": true})', () => {
      const result = evaluateFlag(
        flag({ variants: [{ key: 'on', value: { enabled: true }, weight: 100 }] }),
        { targetingKey: 'anyone' },
      );
      expect(result).toMatchObject({ value: true, enabled: true, reason: 'SPLIT', variant: 'on' });
    });

    it('give keys beyond a partial split the last variant, as litestar-flags does', () => {
      // Weights 20 + 40 = 60 cover variant buckets 0–59; 60–99 fall back to the last key, "y".
      const partial = flag({
        flagType: 'string',
        defaultValue: 'd',
        variants: [
          { key: 'y', value: 'Y', weight: 40 },
          { key: 'x', value: 'X', weight: 20 },
        ],
      });
      for (let i = 0; i < 300; i++) {
        const bucket = variantBucket(partial.key, `u${i}`);
        expect(evaluateFlag(partial, { targetingKey: `u${i}` })).toMatchObject({
          value: bucket < 20 ? 'X' : 'Y',
          reason: 'SPLIT',
          variant: bucket < 20 ? 'x' : 'y',
        });
      }
    });

    it('with weights adding up to 0 are named values, not a split', () => {
      const named = flag({
        flagType: 'string',
        defaultValue: 'd',
        variants: [{ key: 'x', value: 'X', weight: 0 }],
      });
      expect(evaluateFlag(named, {})).toMatchObject({
        value: 'd',
        reason: 'STATIC',
        errorCode: null,
      });
      expect(evaluateFlag(named, { targetingKey: 'u1' })).toMatchObject({ reason: 'STATIC' });
    });
  });
});

describe('evaluateFlag with named values (defaultVariant, serveVariant)', () => {
  const colours = {
    flagType: 'string' as const,
    defaultValue: 'grey',
    defaultEnabled: true,
    variants: [
      { key: 'red', value: 'RED', weight: 0 },
      { key: 'blue', value: 'BLUE', weight: 0 },
    ],
  };
  const toDe = {
    name: 'germany',
    conditions: [{ attribute: 'country', operator: 'eq' as const, value: 'DE' }],
  };

  it("serves the default variant's value and name where the flag default would be served", () => {
    const named = flag({ ...colours, defaultVariant: 'blue' });
    expect(evaluateFlag(named, {})).toMatchObject({
      value: 'BLUE',
      variant: 'blue',
      reason: 'STATIC',
      enabled: true,
      errorCode: null,
    });
    // Unset: as before, the flag's defaultValue without a variant.
    expect(evaluateFlag(flag(colours), {})).toMatchObject({ value: 'grey', variant: null });
  });

  it('a boolean flag serves its named value, and is on or off by it', () => {
    const toggle = flag({
      variants: [
        { key: 'on', value: true, weight: 0 },
        { key: 'off', value: false, weight: 0 },
      ],
      defaultEnabled: true,
      defaultVariant: 'off',
    });
    expect(evaluateFlag(toggle, {})).toMatchObject({
      value: false,
      enabled: false,
      variant: 'off',
      reason: 'STATIC',
    });
  });

  it("a matching rule with serveVariant serves that variant's value and reports its name", () => {
    const named = flag({
      ...colours,
      defaultVariant: 'blue',
      rules: [{ ...toDe, serveVariant: 'red', serveValue: 'ignored' }],
    });
    expect(evaluateFlag(named, { country: 'DE' })).toMatchObject({
      value: 'RED',
      variant: 'red',
      reason: 'TARGETING_MATCH',
    });
    expect(evaluateFlag(named, { country: 'FR' })).toMatchObject({
      value: 'BLUE',
      variant: 'blue',
      reason: 'STATIC',
    });
    // A rule without serveVariant keeps serving its value, named after the rule.
    const plain = flag({ ...colours, rules: [{ ...toDe, serveValue: 'GOLD' }] });
    expect(evaluateFlag(plain, { country: 'DE' })).toMatchObject({
      value: 'GOLD',
      variant: 'germany',
    });
  });

  it('variants of weight 0 are names only: never a split, no targeting key needed', () => {
    const named = flag({ ...colours, defaultVariant: 'red' });
    for (const context of [{}, { targetingKey: 'user-1' }, { targetingKey: 'user-2' }]) {
      expect(evaluateFlag(named, context)).toMatchObject({ value: 'RED', reason: 'STATIC' });
    }
    expect(evaluateFlag(named, {}).errorCode).toBeNull();
  });

  it('a disabled flag ignores its default variant (reason DISABLED, the flag default)', () => {
    const named = flag({ ...colours, defaultVariant: 'red', status: 'inactive' });
    expect(evaluateFlag(named, {})).toMatchObject({
      value: 'grey',
      variant: null,
      reason: 'DISABLED',
    });
  });

  it('a name that matches no variant (a document another writer changed) serves as if unset', () => {
    const stored = {
      ...flag({ ...colours, rules: [toDe] }),
      defaultVariant: 'gone',
    };
    stored.rules[0].serveVariant = 'gone';
    expect(evaluateFlag(stored, {})).toMatchObject({ value: 'grey', variant: null });
    expect(evaluateFlag(stored, { country: 'DE' })).toMatchObject({
      reason: 'TARGETING_MATCH',
      variant: 'germany',
    });
  });

  it('buildFlag refuses a defaultVariant or serveVariant that names no variant', () => {
    expect(() => flag({ ...colours, defaultVariant: 'green' })).toThrow(
      /defaultVariant must be the key of one of the variants/,
    );
    expect(() => flag({ ...colours, rules: [{ ...toDe, serveVariant: 'green' }] })).toThrow(
      /rules\.0\.serveVariant must be the key of one of the variants/,
    );
    // Unset stays absent from the flag, so flags without names look as they always did.
    expect(flag(colours)).not.toHaveProperty('defaultVariant');
    expect(flag({ ...colours, rules: [toDe] }).rules[0]).not.toHaveProperty('serveVariant');
  });

  it('carries the flag it evaluated (for the OpenFeature provider)', () => {
    const named = flag({ ...colours, metadata: { owner: 'growth' } });
    expect(evaluateFlag(named, {}).flag).toBe(named);
  });
});
