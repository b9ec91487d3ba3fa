import { InvalidApiKeyInputError } from './api-key.errors';
import { API_KEY_LIMITS, assertStorableText } from './api-key.validation';

/**
 * Scope strings are free-form without whitespace (`flags:read`, `admin`). A granted scope ending in
 * `:*` covers every scope under that resource (`flags:*` covers `flags:read` and `flags:rules:write`);
 * a granted `*` covers everything. Wildcards only widen what a key grants: a required `flags:*` is
 * met by a key holding `flags:*` or `*`, not by one holding `flags:read`.
 */
const SCOPE_PATTERN = /^(\*|[^\s*]+(:\*)?)$/;

/**
 * @throws InvalidApiKeyInputError (a `TypeError`) for anything but a valid scope: a string that
 * every backend can store (no control character, at most 255 characters) in the syntax above.
 */
export function assertValidScope(scope: unknown): asserts scope is string {
  if (typeof scope !== 'string') {
    throw new InvalidApiKeyInputError('scopes', 'must be an array of strings');
  }
  assertStorableText('scopes', scope, API_KEY_LIMITS.scope);
  if (!SCOPE_PATTERN.test(scope)) {
    throw new InvalidApiKeyInputError(
      'scopes',
      `hold an invalid scope ${JSON.stringify(scope)}: use non-empty strings without spaces; "*" only as "resource:*" or "*"`,
    );
  }
}

export function grantsScope(granted: readonly string[], required: string): boolean {
  return granted.some(
    (scope) =>
      scope === required ||
      scope === '*' ||
      (scope.endsWith(':*') && required.startsWith(scope.slice(0, -1))),
  );
}

export function grantsAllScopes(granted: readonly string[], required: readonly string[]): boolean {
  return required.every((scope) => grantsScope(granted, scope));
}

export function grantsAnyScope(granted: readonly string[], required: readonly string[]): boolean {
  return required.length === 0 || required.some((scope) => grantsScope(granted, scope));
}
