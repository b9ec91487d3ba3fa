import { InvalidFlagError } from '../storage/storage.errors';
import { buildFlag, buildOverride, FLAG_LIMITS, isOverrideExpired } from './feature-flag.model';

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
      version: 1,
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
        /flag "ua": the matches value of rule "bots" is not supported/,
      );
    },
  );

  it('accepts RE2 syntax, catastrophic-looking patterns included', () => {
    expect(buildFlag(withPattern('(a+)+$') as never).rules[0].conditions[0].value).toBe('(a+)+$');
    expect(() => buildFlag(withPattern('(?i)googlebot|bingbot') as never)).not.toThrow();
  });
});

describe('buildFlag: time_window values', () => {
  const withWindow = (value: unknown) => ({
    key: 'hours',
    rules: [{ name: 'office', conditions: [{ attribute: 'now', operator: 'time_window', value }] }],
  });

  it.each([
    [{ start: '9am', end: '17:00' }],
    [{ start: '09:00', end: '17:00', timezone: 'Mars/Olympus' }],
    [{ start: '2026-02-01T00:00:00Z', end: '2026-01-01T00:00:00Z' }],
    ['09:00-17:00'],
  ])('refuses %j, naming the rule', (value) => {
    expect(() => buildFlag(withWindow(value) as never)).toThrow(
      /flag "hours": the time_window value of rule "office" is not supported/,
    );
  });

  it('accepts times of day in a zone and ISO date-times', () => {
    const office = { start: '09:00', end: '17:30', timezone: 'America/New_York' };
    expect(buildFlag(withWindow(office) as never).rules[0].conditions[0].value).toEqual(office);
    const launch = { start: '2026-02-01T00:00:00Z', end: '2026-03-01T00:00:00Z' };
    expect(() => buildFlag(withWindow(launch) as never)).not.toThrow();
  });
});

describe('buildFlag: stored values', () => {
  it('starts at version 1 and keeps a given version', () => {
    expect(buildFlag({ key: 'v' }).version).toBe(1);
    expect(buildFlag({ key: 'v', version: 7 }).version).toBe(7);
  });

  it.each([
    [{ key: 'a\u0000b' }, 'key'],
    [{ key: 'x', name: 'tab\tname' }, 'name'],
    [{ key: 'x', description: 'ok\nbut \u0000 not' }, 'description'],
    [{ key: 'x', tags: ['a', 'b\u001b'] }, 'tags.1'],
    [{ key: 'x', rules: [{}, { priority: 2 ** 31 }] }, 'rules.1.priority'],
    [
      { key: 'x', rules: [{ conditions: [{ attribute: 'a\u0000', operator: 'eq', value: 1 }] }] },
      'rules.0.conditions.0.attribute',
    ],
    [{ key: 'x', variants: [{ key: 'v', value: 'a\u0000', weight: 1 }] }, 'variants.0.value'],
    [{ key: 'x', metadata: [] }, 'metadata'],
    [{ key: 'x', version: -1 }, 'version'],
  ])('refuses %j, naming %s', (input, field) => {
    let caught: unknown;
    try {
      buildFlag(input as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidFlagError);
    expect(caught).toMatchObject({ field });
    expect((caught as Error).message).toContain(field);
  });

  it('keeps the limits themselves', () => {
    const flag = buildFlag({
      key: 'k'.repeat(FLAG_LIMITS.keyLength),
      description: 'd'.repeat(FLAG_LIMITS.descriptionLength),
      rules: [{ priority: 2 ** 31 - 1 }],
    });
    expect(flag.rules[0].priority).toBe(2 ** 31 - 1);
  });
});

describe('buildOverride: stored values', () => {
  it('refuses control characters in the entity it targets', () => {
    expect(() => buildOverride({ flagId: 'f', entityType: 'user', entityId: 'a\u0000' })).toThrow(
      /entityId must not contain control characters/,
    );
    expect(() => buildOverride({ flagId: 'f', entityType: 'u'.repeat(65), entityId: 'a' })).toThrow(
      /entityType must be at most 64 characters/,
    );
  });
});
