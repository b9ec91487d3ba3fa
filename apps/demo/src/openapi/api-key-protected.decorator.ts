import { ApiKeyGuard } from '@gatekeeper/api-auth';
import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { API_KEY_SECURITY } from './openapi.constants';

/**
 * A controller behind `ApiKeyGuard`, documented as such: the OpenAPI security scheme and its 401
 * (and, for scoped routes, 403) answers. On the controller, the key is checked before any
 * handler-level `@FeatureFlag()`, so an anonymous caller gets 401, not the flag's 404.
 */
export function ApiKeyProtected(
  forbidden: string | false = 'The key lacks the scope the route requires',
): ClassDecorator {
  return applyDecorators(
    UseGuards(ApiKeyGuard),
    ApiSecurity(API_KEY_SECURITY),
    ApiUnauthorizedResponse({ description: 'Missing, unknown, expired or revoked API key' }),
    ...(forbidden === false ? [] : [ApiForbiddenResponse({ description: forbidden })]),
  );
}
