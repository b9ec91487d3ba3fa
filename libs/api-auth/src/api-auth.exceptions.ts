import {
  ForbiddenException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import type { ApiKeyRejectionCode } from './api-key.errors';

/** The `code` field of every error body the guard sends. */
export type ApiAuthErrorCode =
  'missing_api_key' | ApiKeyRejectionCode | 'insufficient_scope' | 'auth_unavailable';

/** Shape of every error body the guard sends. */
export interface ApiAuthErrorBody {
  statusCode: number;
  message: string;
  code: ApiAuthErrorCode;
}

export type ApiKeyUnauthorizedCode = 'missing_api_key' | ApiKeyRejectionCode;

export const MISSING_API_KEY_MESSAGE = 'API key required';
/** Shared by malformed and unknown keys, so a caller cannot tell them apart. */
export const INVALID_API_KEY_MESSAGE = 'Invalid API key';
export const EXPIRED_API_KEY_MESSAGE = 'API key expired';
export const REVOKED_API_KEY_MESSAGE = 'API key revoked';
export const INSUFFICIENT_SCOPE_MESSAGE = 'Insufficient scope';
export const AUTH_UNAVAILABLE_MESSAGE = 'Authentication is temporarily unavailable';

const UNAUTHORIZED_MESSAGES: Record<ApiKeyUnauthorizedCode, string> = {
  missing_api_key: MISSING_API_KEY_MESSAGE,
  invalid_api_key: INVALID_API_KEY_MESSAGE,
  expired_api_key: EXPIRED_API_KEY_MESSAGE,
  revoked_api_key: REVOKED_API_KEY_MESSAGE,
};

/** 401: no key, or a key that is not (or no longer) valid. */
export class ApiKeyUnauthorizedException extends UnauthorizedException {
  constructor(
    readonly code: ApiKeyUnauthorizedCode,
    message: string = UNAUTHORIZED_MESSAGES[code],
  ) {
    super({ statusCode: 401, message, code } satisfies ApiAuthErrorBody);
  }
}

/**
 * 403: the key is valid but lacks scopes. The message names what the route requires and never
 * what the key holds.
 */
export class InsufficientScopeException extends ForbiddenException {
  constructor(
    readonly requiredScopes: readonly string[],
    readonly mode: 'all' | 'any',
    message: string = `${INSUFFICIENT_SCOPE_MESSAGE}: requires ${mode === 'all' ? 'all of' : 'one of'} ${requiredScopes.join(', ')}`,
  ) {
    super({ statusCode: 403, message, code: 'insufficient_scope' } satisfies ApiAuthErrorBody);
  }
}

/** 503: the storage could not answer, so the request is refused (auth fails closed). */
export class ApiAuthUnavailableException extends ServiceUnavailableException {
  constructor(message: string = AUTH_UNAVAILABLE_MESSAGE) {
    super({ statusCode: 503, message, code: 'auth_unavailable' } satisfies ApiAuthErrorBody);
  }
}
