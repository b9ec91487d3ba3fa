// Types only: this file must load without @openfeature/server-sdk installed (an optional peer).
import type {
  EvaluationContext as OpenFeatureContext,
  EvaluationContextValue,
  ErrorCode as OpenFeatureErrorCode,
  FlagMetadata,
  ResolutionDetails,
  ResolutionReason,
} from '@openfeature/server-sdk';
import type { EvaluationContext, EvaluationDetails } from '../models/evaluation.model';
import type { FeatureFlag } from '../models/feature-flag.model';

/**
 * The built-in fields of a Gatekeeper context and the OpenFeature attribute names that fill them
 * (camelCase first, then the snake_case names litestar-flags rules use).
 */
type StringField = Exclude<keyof EvaluationContext, 'attributes' | 'targetingKey'>;
const KNOWN_FIELDS: ReadonlyArray<readonly [StringField, readonly string[]]> = [
  ['userId', ['userId', 'user_id']],
  ['organizationId', ['organizationId', 'organization_id']],
  ['tenantId', ['tenantId', 'tenant_id']],
  ['environment', ['environment']],
  ['appVersion', ['appVersion', 'app_version']],
  ['ip', ['ip', 'ipAddress', 'ip_address']],
  ['userAgent', ['userAgent', 'user_agent']],
  ['country', ['country']],
];

const FIELD_BY_ATTRIBUTE = new Map<string, StringField>(
  KNOWN_FIELDS.flatMap(([field, names]) => names.map((name) => [name, field] as const)),
);

/**
 * An OpenFeature evaluation context as a Gatekeeper one: `targetingKey` (or `targeting_key`)
 * becomes the targeting key, the known attributes with a string value (`userId`/`user_id`,
 * `organizationId`, `tenantId`, `environment`, `appVersion`, `ip`, `userAgent`, `country`) the
 * built-in fields, and everything else `attributes` (so rules can still test a known name whose
 * value is not a string).
 */
export function toGatekeeperContext(context: OpenFeatureContext | undefined): EvaluationContext {
  const result: EvaluationContext = {};
  const attributes: Record<string, unknown> = {};
  if (!context) return result;
  for (const name of Object.keys(context)) {
    const value = context[name];
    if (value === undefined || value === null) continue;
    if (name === 'targetingKey' || name === 'targeting_key') {
      if (typeof value === 'string') {
        // `targetingKey` wins over `targeting_key` whatever the order of the keys.
        if (name === 'targetingKey' || result.targetingKey === undefined)
          result.targetingKey = value;
        continue;
      }
    }
    const field = FIELD_BY_ATTRIBUTE.get(name);
    if (field !== undefined && typeof value === 'string') {
      // The camelCase name wins over the snake_case one.
      if (result[field] === undefined || name === field) result[field] = value;
      continue;
    }
    attributes[name] = value;
  }
  if (Object.keys(attributes).length > 0) result.attributes = attributes;
  return result;
}

/**
 * A Gatekeeper evaluation context as an OpenFeature one: the inverse of `toGatekeeperContext`
 * (built-in fields under their camelCase names, attributes flattened beside them; a built-in
 * field wins over an attribute of the same name). Useful to hand the context the flags module
 * resolves for a request (`defaultContextResolver`) to an OpenFeature client.
 */
export function toOpenFeatureContext(context: EvaluationContext | undefined): OpenFeatureContext {
  const result: Record<string, EvaluationContextValue> = {};
  if (!context) return result;
  for (const [name, value] of Object.entries(context.attributes ?? {})) {
    if (value !== undefined) result[name] = value as EvaluationContextValue;
  }
  for (const [field] of KNOWN_FIELDS) {
    const value = context[field];
    if (typeof value === 'string') result[field] = value;
  }
  if (typeof context.targetingKey === 'string') result.targetingKey = context.targetingKey;
  return result;
}

/**
 * Gatekeeper's error codes are OpenFeature's, one for one (same names and values); spelled out
 * so that a code either side adds later fails to compile here instead of passing through.
 */
const ERROR_CODES: Record<
  NonNullable<EvaluationDetails['errorCode']>,
  `${OpenFeatureErrorCode}`
> = {
  FLAG_NOT_FOUND: 'FLAG_NOT_FOUND',
  TYPE_MISMATCH: 'TYPE_MISMATCH',
  PARSE_ERROR: 'PARSE_ERROR',
  TARGETING_KEY_MISSING: 'TARGETING_KEY_MISSING',
  INVALID_CONTEXT: 'INVALID_CONTEXT',
  GENERAL: 'GENERAL',
};

/**
 * The client's reasons as OpenFeature reasons. All but OVERRIDE are OpenFeature's standard
 * reasons; OVERRIDE (an override for this user, organization, tenant or targeting key) stays a
 * reason of its own, which the specification allows, so dashboards can tell it from a rule.
 */
const REASONS: Record<EvaluationDetails['reason'], ResolutionReason> = {
  STATIC: 'STATIC',
  DEFAULT: 'DEFAULT',
  TARGETING_MATCH: 'TARGETING_MATCH',
  OVERRIDE: 'OVERRIDE',
  SPLIT: 'SPLIT',
  DISABLED: 'DISABLED',
  ERROR: 'ERROR',
  CACHED: 'CACHED',
  STALE: 'STALE',
};

/**
 * The flag's `metadata` as OpenFeature flag metadata, whose values are booleans, strings and
 * numbers: nested objects and arrays are given as their JSON text, nulls are left out.
 */
export function flagMetadataOf(flag: FeatureFlag | null): FlagMetadata {
  const metadata: FlagMetadata = {};
  if (!flag || typeof flag.metadata !== 'object' || flag.metadata === null) return metadata;
  for (const [name, value] of Object.entries(flag.metadata)) {
    if (typeof value === 'string' || typeof value === 'boolean') metadata[name] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) metadata[name] = value;
    else if (value !== null && typeof value === 'object') metadata[name] = JSON.stringify(value);
  }
  return metadata;
}

/** Whether the flag has targeting rules that could have matched (enabled ones). */
function hasTargeting(flag: FeatureFlag): boolean {
  return Array.isArray(flag.rules) && flag.rules.some((rule) => rule?.enabled !== false);
}

/**
 * The client's answer as OpenFeature resolution details, with OpenFeature's semantics where they
 * differ from litestar-flags' (which the client keeps):
 * - an error answers the caller's default with reason ERROR and the error code (including
 *   TARGETING_KEY_MISSING, which the client reports beside the flag's default);
 * - a disabled flag answers the caller's default, reason DISABLED;
 * - the flag's default answers reason DEFAULT when the flag has targeting rules (none matched),
 *   STATIC only when it has none;
 * - `flagMetadata` is the flag's metadata.
 */
export function toResolution<T>(
  details: EvaluationDetails<T>,
  flag: FeatureFlag | null,
  defaultValue: T,
): ResolutionDetails<T> {
  const flagMetadata = flagMetadataOf(flag);
  if (details.errorCode !== null) {
    return {
      value: defaultValue,
      reason: 'ERROR',
      errorCode: ERROR_CODES[details.errorCode] as OpenFeatureErrorCode,
      // The wording OpenFeature's own providers use ("flag <key> not found").
      errorMessage:
        details.errorCode === 'FLAG_NOT_FOUND'
          ? `flag ${details.flagKey} not found`
          : (details.errorMessage ?? undefined),
      flagMetadata,
    };
  }
  let reason = REASONS[details.reason] ?? details.reason;
  if (flag !== null && flag.status !== 'active') {
    // Served from the cache while the storage fails, the reason says so (CACHED or STALE).
    const fromCache = details.reason === 'CACHED' || details.reason === 'STALE';
    return { value: defaultValue, reason: fromCache ? reason : 'DISABLED', flagMetadata };
  }
  if (details.reason === 'STATIC' && flag !== null && hasTargeting(flag)) reason = 'DEFAULT';
  return {
    value: details.value,
    reason,
    ...(details.variant !== null && { variant: details.variant }),
    flagMetadata,
  };
}
