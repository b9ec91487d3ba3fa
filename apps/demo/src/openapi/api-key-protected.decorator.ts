import { ApiKeyGuard } from '@gatekeeper/api-auth';
import { applyDecorators, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiSecurity,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { API_KEY_SECURITY, BEARER_SECURITY } from './openapi.constants';

/**
 * A controller behind `ApiKeyGuard`, documented as such: its two OpenAPI security schemes (the
 * `x-api-key` header or `Authorization: Bearer`, either one will do) and its 401
 * (and, for scoped routes, 403) answers. On the controller, the key is checked before any
 * handler-level `@FeatureFlag()`, so an anonymous caller gets 401, not the flag's 404.
 */
export function ApiKeyProtected(
  forbidden: string | false = 'The key lacks the scope the route requires',
): ClassDecorator {
  return applyDecorators(
    UseGuards(ApiKeyGuard),
    // Two requirement objects: OpenAPI reads them as alternatives.
    ApiSecurity(API_KEY_SECURITY),
    ApiBearerAuth(BEARER_SECURITY),
    ApiUnauthorizedResponse({ description: 'Missing, unknown, expired or revoked API key' }),
    ...(forbidden === false ? [] : [ApiForbiddenResponse({ description: forbidden })]),
  );
}
