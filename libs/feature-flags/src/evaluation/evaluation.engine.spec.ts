import {
  buildFlag,
  buildOverride,
  type CreateFlagInput,
  type FeatureFlag,
  type FlagOverride,
} from '../models/feature-flag.model';
import { OVERRIDE_ENTITY_TYPES } from '../models/feature-flag.model';
import { overrideEntityId } from './evaluation-context';
import { getContextAttribute } from './context-attributes';
import { evaluateFlag } from './evaluation.engine';

const flag = (input: Omit<CreateFlagInput, 'key'> & { key?: string }): FeatureFlag =>
  buildFlag({ key: 'new_checkout', ...input });

const override = (
  entityType: string,
  entityId: string,
  enabled: boolean,
  extra: Partial<FlagOverride> = {},
): FlagOverride => buildOverride({ flagId: 'flag-id', entityType, entityId, enabled, ...extra });

const everyone = { name: 'everyone', conditions: [], serveEnabled: true };

// Variants and named values (defaultVariant, serveVariant): evaluation.engine.variants.spec.ts.
describe('evaluateFlag', () => {
  describe('status', () => {
    it.each(['inactive', 'archived'] as const)(
      'serves the flag default when %s, ignoring overrides and rules',
      (status) => {
        const result = evaluateFlag(
          flag({ status, defaultEnabled: false, rules: [everyone] }),
          { userId: 'u1' },
          [override('user', 'u1', true)],
        );
        expect(result).toMatchObject({ value: false, enabled: false, reason: 'DISABLED' });
      },
    );

    it("serves a non-boolean flag's defaultValue when inactive", () => {
      const result = evaluateFlag(
        flag({ status: 'inactive', flagType: 'string', defaultValue: 'classic' }),
        {},
      );
      expect(result).toMatchObject({ value: 'classic', reason: 'DISABLED' });
    });
  });

  describe('overrides', () => {
    const rules = [{ name: 'nobody', conditions: [], serveEnabled: false }];

    it('win over rules', () => {
      const result = evaluateFlag(flag({ rules }), { userId: 'u1' }, [
        override('user', 'u1', true),
      ]);
      expect(result).toMatchObject({ value: true, reason: 'OVERRIDE', variant: null });
    });

    it('apply the first unexpired one of those given, in OVERRIDE_ENTITY_TYPES order', () => {
      const ctx = { userId: 'u1', organizationId: 'o1', tenantId: 't1', targetingKey: 'k1' };
      expect(OVERRIDE_ENTITY_TYPES.map((type) => overrideEntityId(ctx, type))).toEqual([
        'u1',
        'o1',
        't1',
        'k1',
      ]);
      const found = [null, override('organization', 'o1', true), override('tenant', 't1', false)];
      expect(evaluateFlag(flag({ rules }), ctx, found)).toMatchObject({
        value: true,
        reason: 'OVERRIDE',
      });
    });

    it('are looked up only for the entity ids the context carries', () => {
      const ids = (ctx: object) => OVERRIDE_ENTITY_TYPES.map((type) => overrideEntityId(ctx, type));
      expect(ids({ tenantId: 't1' })).toEqual([undefined, undefined, 't1', undefined]);
      expect(ids({ userId: '', targetingKey: null })).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
    });

    it('are ignored once expired', () => {
      const now = new Date('2025-06-01T12:00:00Z');
      const expired = override('user', 'u1', true, { expiresAt: new Date('2025-06-01T11:59:59Z') });
      const live = override('tenant', 't1', true, { expiresAt: new Date('2025-06-01T12:00:01Z') });
      expect(evaluateFlag(flag({ rules }), {}, [expired], now)).toMatchObject({
        value: false,
        reason: 'TARGETING_MATCH',
      });
      expect(evaluateFlag(flag({ rules }), {}, [expired, live], now)).toMatchObject({
        value: true,
        reason: 'OVERRIDE',
      });
    });

    it('serve their value for non-boolean flags, else the flag default', () => {
      const typed = flag({ flagType: 'string', defaultValue: 'classic' });
      expect(
        evaluateFlag(typed, {}, [override('user', 'u1', true, { value: 'new' })]),
      ).toMatchObject({ value: 'new', enabled: true, reason: 'OVERRIDE' });
      expect(evaluateFlag(typed, {}, [override('user', 'u1', false)])).toMatchObject({
        value: 'classic',
        enabled: false,
        reason: 'OVERRIDE',
      });
    });
  });

  describe('rules', () => {
    it('run by ascending priority, skipping disabled ones', () => {
      const result = evaluateFlag(
        flag({
          rules: [
            { name: 'third', priority: 30, conditions: [], serveEnabled: false },
            { name: 'first-but-off', priority: 1, enabled: false, conditions: [] },
            { name: 'second', priority: 20, conditions: [], serveEnabled: true },
          ],
        }),
        {},
      );
      expect(result).toMatchObject({ value: true, reason: 'TARGETING_MATCH', variant: 'second' });
    });

    it('AND their conditions', () => {
      const rules = [
        {
          name: 'german-pros',
          conditions: [
            { attribute: 'country', operator: 'eq' as const, value: 'DE' },
            { attribute: 'plan', operator: 'eq' as const, value: 'pro' },
          ],
        },
      ];
      const both = { country: 'DE', attributes: { plan: 'pro' } };
      const one = { country: 'DE', attributes: { plan: 'free' } };
      expect(evaluateFlag(flag({ rules }), both)).toMatchObject({
        value: true,
        variant: 'german-pros',
      });
      expect(evaluateFlag(flag({ rules }), one)).toMatchObject({ value: false, reason: 'STATIC' });
    });

    it('never match on an unknown operator or a condition without attribute', () => {
      const rules = [
        {
          name: 'broken',
          conditions: [{ attribute: 'country', operator: 'sounds_like', value: 'DE' }],
        },
        { name: 'no-attribute', conditions: [{ operator: 'eq', value: 'DE' }] },
      ] as unknown as CreateFlagInput['rules'];
      expect(evaluateFlag(flag({ rules }), { country: 'DE' })).toMatchObject({ reason: 'STATIC' });
    });

    it('fall through to the next rule when the context is outside the rollout', () => {
      // new_checkout / user-123 is in rollout bucket 2.
      const rules = [
        { name: 'one-percent', priority: 1, conditions: [], rolloutPercentage: 1 },
        { name: 'two-percent', priority: 2, conditions: [], rolloutPercentage: 2 },
      ];
      expect(evaluateFlag(flag({ rules }), { targetingKey: 'user-123' })).toMatchObject({
        value: true,
        variant: 'two-percent',
      });
    });

    it('need a targeting key for a rollout', () => {
      const rules = [{ name: 'all', conditions: [], rolloutPercentage: 100 }];
      expect(evaluateFlag(flag({ rules }), {})).toMatchObject({ reason: 'STATIC', value: false });
    });

    it('serve serveValue for non-boolean flags, else the flag default', () => {
      const base = { flagType: 'number' as const, defaultValue: 10 };
      expect(
        evaluateFlag(flag({ ...base, rules: [{ conditions: [], serveValue: 25 }] }), {}),
      ).toMatchObject({ value: 25, enabled: true, reason: 'TARGETING_MATCH', variant: 'rule-1' });
      expect(evaluateFlag(flag({ ...base, rules: [{ conditions: [] }] }), {})).toMatchObject({
        value: 10,
      });
    });
  });

  it('serves the flag default (STATIC) when nothing applies', () => {
    expect(evaluateFlag(flag({ defaultEnabled: true }), {})).toMatchObject({
      value: true,
      enabled: true,
      reason: 'STATIC',
      variant: null,
      errorCode: null,
    });
  });

  it('reports a flag it cannot interpret instead of throwing', () => {
    const corrupt = { ...flag({}), rules: [null] } as unknown as FeatureFlag;
    expect(evaluateFlag(corrupt, {})).toMatchObject({
      value: null,
      reason: 'ERROR',
      errorCode: 'PARSE_ERROR',
      flagKey: 'new_checkout',
    });
  });
});

describe('getContextAttribute', () => {
  const context = {
    userId: 'u1',
    appVersion: '2.1.0',
    attributes: { plan: 'pro', userId: 'shadowed', toString: 'own' },
  };

  it('reads built-in fields by camelCase or snake_case name', () => {
    expect(getContextAttribute(context, 'userId')).toBe('u1');
    expect(getContextAttribute(context, 'user_id')).toBe('u1');
    expect(getContextAttribute(context, 'app_version')).toBe('2.1.0');
  });

  it('falls back to attributes, built-ins first', () => {
    expect(getContextAttribute(context, 'plan')).toBe('pro');
    expect(getContextAttribute({ attributes: { userId: 'x' } }, 'userId')).toBe('x');
  });

  it('sees only own attributes, never inherited properties', () => {
    expect(getContextAttribute(context, 'toString')).toBe('own');
    expect(getContextAttribute({ attributes: {} }, 'constructor')).toBeUndefined();
    expect(getContextAttribute({}, 'plan')).toBeUndefined();
  });
});
