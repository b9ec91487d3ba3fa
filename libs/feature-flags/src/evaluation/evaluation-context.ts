import type { OverrideEntityType } from '../models/feature-flag.model';
import { ErrorCode, EvaluationReason, type EvaluationContext } from '../models/evaluation.model';
import { failure, type Failure } from './evaluation-result';

/**
 * The context an evaluation runs with: `defaults` (the client's `defaultContext`, `undefined` when
 * it has none) under the caller's, the targeting key falling back to the user id; or
 * INVALID_CONTEXT for a malformed one. Runs on every evaluation, so when nothing needs merging
 * the caller's own object is returned: whoever keeps it past a synchronous evaluation copies it
 * with `copyContext`.
 */
export function resolveContext(
  context: EvaluationContext | undefined,
  defaults: EvaluationContext | undefined,
  flagKey: string,
): EvaluationContext | Failure {
  if (context !== undefined && context !== null) {
    const problem = contextProblem(context);
    if (problem) {
      return failure(flagKey, EvaluationReason.ERROR, ErrorCode.INVALID_CONTEXT, problem);
    }
    // The engine treats null fields as absent, so only the targeting-key fallback matters.
    if (defaults === undefined) {
      const { targetingKey, userId } = context;
      if (typeof targetingKey === 'string' || (targetingKey === undefined && userId == null)) {
        return context;
      }
      if (targetingKey == null && typeof userId === 'string') {
        // Object.assign, not spread: an order of magnitude cheaper on V8 for small objects.
        const withKey = Object.assign({}, context);
        withKey.targetingKey = userId;
        return withKey;
      }
    }
  }
  return mergeContexts(defaults, context);
}

/** A copy the caller cannot change under an evaluation that is still running. */
export function copyContext(context: EvaluationContext): EvaluationContext {
  return mergeContexts(undefined, context);
}

/**
 * The context field an override of `entityType` is looked up by, or `undefined` when the context
 * has none. Named reads, one per type: keyed reads with varying names would go megamorphic.
 */
export function overrideEntityId(
  context: EvaluationContext,
  entityType: OverrideEntityType,
): string | undefined {
  const id =
    entityType === 'user'
      ? context.userId
      : entityType === 'organization'
        ? context.organizationId
        : entityType === 'tenant'
          ? context.tenantId
          : context.targetingKey;
  // A validated context holds strings, null or undefined here; '' and null name nobody.
  return id ? id : undefined;
}

function mergeContexts(
  base: EvaluationContext | undefined,
  context: EvaluationContext | undefined,
): EvaluationContext {
  const own = context ?? {};
  // Null-prototype copies: a "__proto__" key in user data stays an ordinary key, as with spread.
  const merged = Object.assign(Object.create(null) as EvaluationContext, base);
  copyDefined(merged, own);
  merged.attributes = Object.assign(
    Object.create(null) as Record<string, unknown>,
    base?.attributes,
    own.attributes,
  );
  // Rollouts hash the targeting key; a signed-in user is the natural one when none is given.
  merged.targetingKey ??= merged.userId;
  return merged;
}

function contextProblem(context: unknown): string | null {
  if (typeof context !== 'object' || Array.isArray(context)) {
    return 'the evaluation context must be an object';
  }
  // One named read per field (not a loop over names): this runs on every evaluation.
  const fields = context as Record<keyof EvaluationContext, unknown>;
  const bad =
    (notString(fields.targetingKey) && 'targetingKey') ||
    (notString(fields.userId) && 'userId') ||
    (notString(fields.organizationId) && 'organizationId') ||
    (notString(fields.tenantId) && 'tenantId') ||
    (notString(fields.environment) && 'environment') ||
    (notString(fields.appVersion) && 'appVersion') ||
    (notString(fields.ip) && 'ip') ||
    (notString(fields.userAgent) && 'userAgent') ||
    (notString(fields.country) && 'country');
  if (bad) return `context.${bad} must be a string (got ${typeof fields[bad]})`;
  const attributes = fields.attributes;
  if (
    attributes !== undefined &&
    attributes !== null &&
    (typeof attributes !== 'object' || Array.isArray(attributes))
  ) {
    return 'context.attributes must be an object';
  }
  return null;
}

/** Set, and not a string. */
function notString(value: unknown): boolean {
  return value !== undefined && value !== null && typeof value !== 'string';
}

/** Copies the fields of `source` that are set (neither undefined nor null) onto `target`. */
function copyDefined(target: EvaluationContext, source: EvaluationContext): void {
  const from = source as Record<string, unknown>;
  const to = target as Record<string, unknown>;
  for (const key of Object.keys(from)) {
    const value = from[key];
    if (value !== undefined && value !== null) to[key] = value;
  }
}
