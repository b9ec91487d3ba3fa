import { assertValidScope, grantsAllScopes, grantsAnyScope, grantsScope } from './api-key.scopes';

describe('scopes', () => {
  it('matches exact scopes', () => {
    expect(grantsScope(['flags:read'], 'flags:read')).toBe(true);
    expect(grantsScope(['flags:read'], 'flags:write')).toBe(false);
    expect(grantsScope([], 'flags:read')).toBe(false);
  });

  it('lets resource:* cover every scope under the resource, and only that resource', () => {
    expect(grantsScope(['flags:*'], 'flags:write')).toBe(true);
    expect(grantsScope(['flags:*'], 'flags:rules:write')).toBe(true);
    expect(grantsScope(['flags:*'], 'flagsx:write')).toBe(false);
    expect(grantsScope(['flags:*'], 'flags')).toBe(false);
    expect(grantsScope(['*'], 'anything:at:all')).toBe(true);
  });

  it('does not let a narrow scope satisfy a required wildcard', () => {
    expect(grantsScope(['flags:read'], 'flags:*')).toBe(false);
    expect(grantsScope(['flags:*'], 'flags:*')).toBe(true);
  });

  it('combines as all-of and any-of', () => {
    expect(grantsAllScopes(['a', 'b'], ['a', 'b'])).toBe(true);
    expect(grantsAllScopes(['a'], ['a', 'b'])).toBe(false);
    expect(grantsAnyScope(['b'], ['a', 'b'])).toBe(true);
    expect(grantsAnyScope(['c'], ['a', 'b'])).toBe(false);
  });

  it('rejects scopes with spaces or misplaced wildcards', () => {
    expect(() => assertValidScope('flags:read')).not.toThrow();
    expect(() => assertValidScope('flags:*')).not.toThrow();
    expect(() => assertValidScope('*')).not.toThrow();
    for (const bad of ['', 'flags read', 'fl*', 'flags:*:read', 42]) {
      expect(() => assertValidScope(bad)).toThrow(TypeError);
    }
  });
});
