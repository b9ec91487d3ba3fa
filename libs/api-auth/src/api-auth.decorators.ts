import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { API_KEY_REQUEST_PROPERTY } from './api-auth.constants';
import { assertValidScope } from './api-key.scopes';
import type { ApiKey } from './models/api-key.model';

export const REQUIRE_SCOPES_METADATA = 'gatekeeper:api-auth:require-scopes';
export const REQUIRE_ANY_SCOPE_METADATA = 'gatekeeper:api-auth:require-any-scope';
export const PUBLIC_METADATA = 'gatekeeper:api-auth:public';

/**
 * The key must hold every listed scope. On a controller and on a handler, both lists apply.
 * Scopes are checked when the decorator runs, so a typo fails at startup.
 */
export const RequireScopes = (...scopes: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRE_SCOPES_METADATA, validated(scopes, 'RequireScopes'));

/** The key must hold at least one listed scope. On a controller and on a handler, both apply. */
export const RequireAnyScope = (...scopes: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRE_ANY_SCOPE_METADATA, validated(scopes, 'RequireAnyScope'));

/** Exempts a handler or controller from `ApiKeyGuard` (used as a global guard or not). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_METADATA, true);

/**
 * The `ApiKey` the guard authenticated, or one of its fields: `@CurrentApiKey('ownerId')`.
 * `undefined` on routes the guard did not run on (or `@Public()` ones).
 */
export const CurrentApiKey = createParamDecorator(
  (field: keyof ApiKey | undefined, context: ExecutionContext): unknown => {
    const request = context.switchToHttp().getRequest<Record<string, unknown>>();
    const apiKey = request[API_KEY_REQUEST_PROPERTY] as ApiKey | undefined;
    return field ? apiKey?.[field] : apiKey;
  },
);

function validated(scopes: string[], decorator: string): string[] {
  if (scopes.length === 0) throw new TypeError(`@${decorator}() needs at least one scope`);
  scopes.forEach(assertValidScope);
  return [...scopes];
}
