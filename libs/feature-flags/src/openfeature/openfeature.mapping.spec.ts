import { buildFlag } from '../models/feature-flag.model';
import {
  flagMetadataOf,
  toGatekeeperContext,
  toOpenFeatureContext,
  toResolution,
} from './openfeature.mapping';

describe('toGatekeeperContext', () => {
  it('fills the targeting key and the known fields, and keeps the rest as attributes', () => {
    expect(
      toGatekeeperContext({
        targetingKey: 'device-1',
        user_id: 'u-1',
        organizationId: 'acme',
        tenant_id: 't-1',
        environment: 'staging',
        app_version: '2.1.0',
        ipAddress: '203.0.113.7',
        user_agent: 'curl/8',
        country: 'DE',
        plan: 'gold',
        seats: 3,
      }),
    ).toEqual({
      targetingKey: 'device-1',
      userId: 'u-1',
      organizationId: 'acme',
      tenantId: 't-1',
      environment: 'staging',
      appVersion: '2.1.0',
      ip: '203.0.113.7',
      userAgent: 'curl/8',
      country: 'DE',
      attributes: { plan: 'gold', seats: 3 },
    });
  });

  it('prefers camelCase names, reads targeting_key, and keeps non-string known names as attributes', () => {
    expect(toGatekeeperContext({ user_id: 'snake', userId: 'camel' }).userId).toBe('camel');
    expect(toGatekeeperContext({ userId: 'camel', user_id: 'snake' }).userId).toBe('camel');
    expect(toGatekeeperContext({ targeting_key: 'k' }).targetingKey).toBe('k');
    expect(toGatekeeperContext({ targeting_key: 'snake', targetingKey: 'camel' })).toEqual({
      targetingKey: 'camel',
    });
    expect(toGatekeeperContext({ userId: 42, email: null })).toEqual({
      attributes: { userId: 42 },
    });
    expect(toGatekeeperContext(undefined)).toEqual({});
  });
});

describe('toOpenFeatureContext', () => {
  it('is the inverse for fields and attributes; a field wins over an attribute of its name', () => {
    const openFeature = toOpenFeatureContext({
      targetingKey: 'u-1',
      userId: 'u-1',
      country: 'PL',
      attributes: { plan: 'gold', country: 'ignored' },
    });
    expect(openFeature).toEqual({
      targetingKey: 'u-1',
      userId: 'u-1',
      country: 'PL',
      plan: 'gold',
    });
    expect(toGatekeeperContext(openFeature)).toEqual({
      targetingKey: 'u-1',
      userId: 'u-1',
      country: 'PL',
      attributes: { plan: 'gold' },
    });
  });
});

describe('toResolution', () => {
  const details = {
    value: 'v',
    flagKey: 'f',
    reason: 'STATIC' as const,
    variant: null,
    errorCode: null,
    errorMessage: null,
  };

  it('gives flag metadata as booleans, strings and numbers (nested values as JSON, no nulls)', () => {
    const flag = buildFlag({
      key: 'f',
      metadata: { owner: 'growth', since: 2024, beta: true, tags: ['a'], nothing: null },
    });
    expect(flagMetadataOf(flag)).toEqual({
      owner: 'growth',
      since: 2024,
      beta: true,
      tags: '["a"]',
    });
  });

  it('answers STATIC without rules, DEFAULT with enabled rules that did not match', () => {
    const rule = { conditions: [{ attribute: 'a', operator: 'eq' as const, value: 1 }] };
    expect(toResolution(details, buildFlag({ key: 'f' }), 'd').reason).toBe('STATIC');
    expect(toResolution(details, buildFlag({ key: 'f', rules: [rule] }), 'd').reason).toBe(
      'DEFAULT',
    );
    const off = buildFlag({ key: 'f', rules: [{ ...rule, enabled: false }] });
    expect(toResolution(details, off, 'd').reason).toBe('STATIC');
  });

  it("answers the caller's default for a disabled flag, with DISABLED unless served from a cache", () => {
    const inactive = buildFlag({ key: 'f', status: 'inactive' });
    expect(toResolution({ ...details, reason: 'DISABLED' }, inactive, 'd')).toMatchObject({
      value: 'd',
      reason: 'DISABLED',
    });
    expect(toResolution({ ...details, reason: 'STALE' }, inactive, 'd')).toMatchObject({
      value: 'd',
      reason: 'STALE',
    });
  });

  it("answers the caller's default with ERROR for every error code, TARGETING_KEY_MISSING too", () => {
    const missingKey = {
      ...details,
      reason: 'DEFAULT' as const,
      errorCode: 'TARGETING_KEY_MISSING' as const,
      errorMessage: 'no targetingKey',
    };
    expect(toResolution(missingKey, buildFlag({ key: 'f' }), 'd')).toEqual({
      value: 'd',
      reason: 'ERROR',
      errorCode: 'TARGETING_KEY_MISSING',
      errorMessage: 'no targetingKey',
      flagMetadata: {},
    });
  });
});
