import { InvalidFlagError } from '../storage/storage.errors';
import { buildFlag, buildOverride, isOverrideExpired } from './feature-flag.model';

describe('buildFlag', () => {
  const now = new Date('2025-01-01T00:00:00Z');

  it('fills every field from a key alone', () => {
    expect(buildFlag({ key: 'beta' }, now)).toEqual({
      id: expect.any(String),
      key: 'beta',
      name: 'beta',
      description: null,
      flagType: 'boolean',
      status: 'active',
      defaultEnabled: false,
      defaultValue: null,
      tags: [],
      metadata: {},
      rules: [],
      variants: [],
      createdAt: now,
      updatedAt: now,
    });
  });

  it('fills rules and variants and keeps given ids and createdAt', () => {
    const createdAt = new Date('2024-01-01T00:00:00Z');
    const flag = buildFlag(
      {
        key: 'beta',
        id: 'fixed-id',
        createdAt,
        rules: [{ conditions: [{ attribute: 'plan', operator: 'eq', value: 'pro' }] }, {}],
        variants: [{ key: 'a', value: 1, weight: 100 }],
      },
      now,
    );
    expect(flag).toMatchObject({ id: 'fixed-id', createdAt, updatedAt: now });
    expect(flag.rules).toEqual([
      expect.objectContaining({ name: 'rule-1', priority: 0, enabled: true, serveEnabled: true }),
      expect.objectContaining({ name: 'rule-2', priority: 1, rolloutPercentage: null }),
    ]);
    expect(flag.variants[0]).toMatchObject({ key: 'a', name: 'a', value: 1, weight: 100 });
  });

  it('does not share nested objects with its input', () => {
    const input = { key: 'beta', metadata: { owner: 'team-a' }, tags: ['x'] };
    const flag = buildFlag(input);
    input.metadata.owner = 'changed';
    input.tags.push('y');
    expect(flag.metadata).toEqual({ owner: 'team-a' });
    expect(flag.tags).toEqual(['x']);
  });

  it.each([
    [{ key: '  ' }, /key/],
    [{ key: 'x', flagType: 'date' }, /flagType/],
    [{ key: 'x', status: 'paused' }, /status/],
    [{ key: 'x', rules: [{ rolloutPercentage: -1 }] }, /rolloutPercentage/],
    [{ key: 'x', variants: [{ key: 'a', value: 1, weight: 101 }] }, /weight/],
    [{ key: 'x', variants: [{ key: '', value: 1, weight: 1 }] }, /variant/],
  ])('rejects %j', (input, message) => {
    expect(() => buildFlag(input as never)).toThrow(InvalidFlagError);
    expect(() => buildFlag(input as never)).toThrow(message);
  });
});

describe('buildOverride', () => {
  it('defaults to an enabled, permanent override', () => {
    expect(buildOverride({ flagId: 'f', entityType: 'user', entityId: 'u1' })).toMatchObject({
      enabled: true,
      value: null,
      expiresAt: null,
    });
  });

  it('rejects a missing entity id and an invalid expiry', () => {
    expect(() => buildOverride({ flagId: 'f', entityType: 'user', entityId: '' })).toThrow(
      InvalidFlagError,
    );
    expect(() =>
      buildOverride({ flagId: 'f', entityType: 'user', entityId: 'u', expiresAt: new Date('x') }),
    ).toThrow(/expiresAt/);
  });

  it('expires at expiresAt, not before', () => {
    const expiresAt = new Date('2025-01-01T00:00:00Z');
    const override = buildOverride({ flagId: 'f', entityType: 'user', entityId: 'u', expiresAt });
    expect(isOverrideExpired(override, new Date('2024-12-31T23:59:59Z'))).toBe(false);
    expect(isOverrideExpired(override, expiresAt)).toBe(true);
  });
});

describe('buildFlag: matches patterns', () => {
  const withPattern = (value: unknown) => ({
    key: 'ua',
    rules: [{ name: 'bots', conditions: [{ attribute: 'userAgent', operator: 'matches', value }] }],
  });

  it.each([['(?=bot)'], ['(a)\\1'], ['(unclosed'], [42]])(
    'refuses %j, which RE2 cannot run, naming the rule',
    (pattern) => {
      expect(() => buildFlag(withPattern(pattern) as never)).toThrow(
        /flag "ua": the matches pattern of rule "bots" is not supported/,
      );
    },
  );

  it('accepts RE2 syntax, catastrophic-looking patterns included', () => {
    expect(buildFlag(withPattern('(a+)+$') as never).rules[0].conditions[0].value).toBe('(a+)+$');
    expect(() => buildFlag(withPattern('(?i)googlebot|bingbot') as never)).not.toThrow();
  });
});
