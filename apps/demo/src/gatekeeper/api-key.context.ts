import { API_KEY_REQUEST_PROPERTY, type ApiKey } from '@gatekeeper/api-auth';
import {
  defaultContextResolver,
  type ContextResolver,
  type EvaluationContext,
} from '@gatekeeper/feature-flags';

/**
 * Flags are targeted per API-key owner: rollouts hash the owner id, and `user` overrides name it.
 * Every key of one owner therefore sees the same flags, and a rotated key keeps its rollout.
 */
export function ownerContext(ownerId: string): EvaluationContext {
  return { targetingKey: ownerId, userId: ownerId };
}

/** The owner's context plus the key's name and scopes, for rules that target them. */
export function apiKeyContext(apiKey: ApiKey): EvaluationContext {
  return {
    ...ownerContext(apiKey.ownerId),
    attributes: { keyName: apiKey.name, scopes: apiKey.scopes },
  };
}

/**
 * The request's context: the library's default (IP, User-Agent, country) plus the owner of the key
 * `ApiKeyGuard` authenticated. `ApiKeyGuard` must therefore run before `@FeatureFlag()`'s guard:
 * put `@UseGuards(ApiKeyGuard)` on the controller (controller guards run before handler guards).
 * Without a key (public routes) nobody is in a rollout.
 */
export const apiKeyContextResolver: ContextResolver = (request: Record<string, unknown>) => {
  const context = defaultContextResolver(request);
  const apiKey = request[API_KEY_REQUEST_PROPERTY] as ApiKey | undefined;
  return apiKey ? { ...context, ...apiKeyContext(apiKey) } : context;
};
