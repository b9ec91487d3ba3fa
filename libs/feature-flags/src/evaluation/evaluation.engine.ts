import { describeError } from '@gatekeeper/common';
import {
  isOverrideExpired,
  type FeatureFlag,
  type FlagCondition,
  type FlagOverride,
  type FlagRule,
  type FlagVariant,
  type JsonValue,
} from '../models/feature-flag.model';
import {
  ErrorCode,
  EvaluationReason,
  type EvaluationContext,
  type EvaluationDetails,
} from '../models/evaluation.model';
import { isInRollout, selectVariant, splitsTraffic } from './bucketing';
import { evaluateOperator } from './operators';

/**
 * The outcome of evaluating one flag. `value` is the flag's value (for a boolean flag the same as
 * `enabled`); `enabled` is whether the flag is "on", whatever its type — what guards look at.
 */
export interface FlagEvaluation extends EvaluationDetails<JsonValue> {
  enabled: boolean;
  /**
   * @internal The flag this was evaluated from (the source's own object: read it, never change
   * it), for `GatekeeperProvider`'s reason and metadata mapping. Not part of the public details.
   */
  flag: FeatureFlag;
}

/**
 * Evaluates a flag: status, then overrides, then rules by priority, then the variant split,
 * then the flag's default. Synchronous and pure: the caller fetches the overrides the context
 * selects, in `OVERRIDE_ENTITY_TYPES` order (`null` or absent where none exists); the first
 * unexpired one wins. Never throws; a flag whose stored shape cannot be interpreted yields reason
 * ERROR with PARSE_ERROR.
 */
export function evaluateFlag(
  flag: FeatureFlag,
  context: EvaluationContext,
  overrides: ReadonlyArray<FlagOverride | null | undefined> | undefined = NO_OVERRIDES,
  now?: Date,
): FlagEvaluation {
  // Runs on every request: plain loops and no per-call closures, copies or clock reads unless
  // an override actually needs the time (profiled; see docs/performance.md).
  try {
    if (flag.status !== 'active') {
      return flagDefault(flag, EvaluationReason.DISABLED);
    }

    for (let i = 0; i < overrides.length; i++) {
      const override = overrides[i];
      if (override && !isOverrideExpired(override, (now ??= new Date()))) {
        return served(flag, EvaluationReason.OVERRIDE, override.enabled, override.value, null);
      }
    }

    for (const rule of rulesInOrder(flag.rules)) {
      if (!rule.enabled || !matchesAll(rule.conditions, context)) continue;
      // A matching rule outside its rollout is not a verdict: later rules still get their turn.
      if (
        rule.rolloutPercentage !== null &&
        !isInRollout(flag.key, context.targetingKey, rule.rolloutPercentage)
      ) {
        continue;
      }
      const named = rule.serveVariant != null ? variantNamed(flag, rule.serveVariant) : undefined;
      if (named !== undefined) {
        return servedVariant(flag, EvaluationReason.TARGETING_MATCH, named, rule.serveEnabled);
      }
      return served(
        flag,
        EvaluationReason.TARGETING_MATCH,
        rule.serveEnabled,
        rule.serveValue,
        rule.name,
      );
    }

    if (flag.variants.length > 0 && splitsTraffic(flag.variants)) {
      if (!isId(context.targetingKey)) {
        return {
          ...flagDefault(flag, EvaluationReason.DEFAULT),
          errorCode: ErrorCode.TARGETING_KEY_MISSING,
          errorMessage: `flag "${flag.key}" splits by variant and the context has no targetingKey`,
        };
      }
      const variant = selectVariant(flag.key, context.targetingKey, flag.variants)!;
      return servedVariant(flag, EvaluationReason.SPLIT, variant, true);
    }

    const named = flag.defaultVariant != null ? variantNamed(flag, flag.defaultVariant) : undefined;
    if (named !== undefined) {
      return servedVariant(flag, EvaluationReason.STATIC, named, flag.defaultEnabled);
    }
    return flagDefault(flag, EvaluationReason.STATIC);
  } catch (error) {
    return {
      flagKey: flag?.key,
      value: null,
      enabled: false,
      reason: EvaluationReason.ERROR,
      variant: null,
      errorCode: ErrorCode.PARSE_ERROR,
      errorMessage: `flag "${flag?.key}" could not be evaluated: ${describeError(error)}`,
      flag,
    };
  }
}

/**
 * Reads an attribute for a condition: built-in context fields first (camelCase, or the
 * snake_case names litestar-flags rules use), then `context.attributes`.
 */
export function getContextAttribute(context: EvaluationContext, attribute: string): unknown {
  const value = builtInField(context, attribute);
  if (value !== undefined && value !== null) return value;
  const attributes = context.attributes;
  if (attributes && Object.hasOwn(attributes, attribute)) return attributes[attribute];
  return undefined;
}

/**
 * A built-in field by either of its names. Attribute names come from stored rules, strings that
 * are usually not internalized, so a `switch` on them would compare contents case by case; one
 * Map lookup (the hash is cached on the string) picks the field, then the read is a named one.
 */
function builtInField(context: EvaluationContext, attribute: string): unknown {
  switch (BUILT_IN_FIELDS.get(attribute)) {
    case Field.TargetingKey:
      return context.targetingKey;
    case Field.UserId:
      return context.userId;
    case Field.OrganizationId:
      return context.organizationId;
    case Field.TenantId:
      return context.tenantId;
    case Field.Environment:
      return context.environment;
    case Field.AppVersion:
      return context.appVersion;
    case Field.Ip:
      return context.ip;
    case Field.UserAgent:
      return context.userAgent;
    case Field.Country:
      return context.country;
    default:
      return undefined;
  }
}

const enum Field {
  TargetingKey,
  UserId,
  OrganizationId,
  TenantId,
  Environment,
  AppVersion,
  Ip,
  UserAgent,
  Country,
}

const BUILT_IN_FIELDS = new Map<string, Field>([
  ['targetingKey', Field.TargetingKey],
  ['targeting_key', Field.TargetingKey],
  ['userId', Field.UserId],
  ['user_id', Field.UserId],
  ['organizationId', Field.OrganizationId],
  ['organization_id', Field.OrganizationId],
  ['tenantId', Field.TenantId],
  ['tenant_id', Field.TenantId],
  ['environment', Field.Environment],
  ['appVersion', Field.AppVersion],
  ['app_version', Field.AppVersion],
  ['ip', Field.Ip],
  ['ipAddress', Field.Ip],
  ['ip_address', Field.Ip],
  ['userAgent', Field.UserAgent],
  ['user_agent', Field.UserAgent],
  ['country', Field.Country],
]);

const NO_OVERRIDES: ReadonlyArray<FlagOverride | null> = Object.freeze([]);

function rulesInOrder(rules: readonly FlagRule[]): readonly FlagRule[] {
  if (!isList(rules)) throw new TypeError('rules must be an array');
  // Storages hand rules over in priority order, so the common case costs one scan and no copy.
  for (let i = 1; i < rules.length; i++) {
    if (rules[i - 1].priority > rules[i].priority) {
      // Array#sort is stable: rules with equal priority keep their stored order.
      return [...rules].sort((a, b) => a.priority - b.priority);
    }
  }
  return rules;
}

/** Stored data may hold anything; a plain boolean (not a type guard) keeps the declared type. */
function isList(value: unknown): boolean {
  return Array.isArray(value);
}

function matchesAll(conditions: readonly FlagCondition[], context: EvaluationContext): boolean {
  if (!isList(conditions)) {
    throw new TypeError('conditions must be an array');
  }
  for (let i = 0; i < conditions.length; i++) {
    const condition = conditions[i];
    if (
      typeof condition?.attribute !== 'string' ||
      !evaluateOperator(
        condition.operator,
        getContextAttribute(context, condition.attribute),
        condition.value,
      )
    ) {
      return false;
    }
  }
  return true;
}

function flagDefault(flag: FeatureFlag, reason: EvaluationReason): FlagEvaluation {
  return {
    flagKey: flag.key,
    value: flag.flagType === 'boolean' ? flag.defaultEnabled : flag.defaultValue,
    enabled: flag.defaultEnabled,
    reason,
    variant: null,
    errorCode: null,
    errorMessage: null,
    flag,
  };
}

/** An override or rule: a boolean flag serves `enabled`; others serve `value`, else their default. */
function served(
  flag: FeatureFlag,
  reason: EvaluationReason,
  enabled: boolean,
  value: JsonValue,
  variant: string | null,
): FlagEvaluation {
  return {
    flagKey: flag.key,
    value: flag.flagType === 'boolean' ? enabled : (value ?? flag.defaultValue),
    enabled,
    reason,
    variant,
    errorCode: null,
    errorMessage: null,
    flag,
  };
}

/**
 * A named value (`defaultVariant`, a rule's `serveVariant`): the variant with that key, or
 * `undefined` when the flag has none (a document another writer changed), which serves as if unset.
 */
function variantNamed(flag: FeatureFlag, key: string): FlagVariant | undefined {
  const variants = flag.variants;
  for (let i = 0; i < variants.length; i++) if (variants[i].key === key) return variants[i];
  return undefined;
}

/**
 * A variant's value: from the split (SPLIT), or named by a rule (TARGETING_MATCH) or by the
 * flag's `defaultVariant` (STATIC). `enabled` is what a non-boolean flag reports as "on".
 */
function servedVariant(
  flag: FeatureFlag,
  reason: EvaluationReason,
  variant: FlagVariant,
  enabled: boolean,
): FlagEvaluation {
  const value = variant.value;
  // litestar-flags stores a boolean variant as {"enabled": true|false}; accept that and a bare boolean.
  const resolved =
    flag.flagType === 'boolean' &&
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof value.enabled === 'boolean'
      ? value.enabled
      : value;
  return {
    flagKey: flag.key,
    value: resolved,
    enabled: flag.flagType === 'boolean' ? resolved === true : enabled,
    reason,
    variant: variant.key,
    errorCode: null,
    errorMessage: null,
    flag,
  };
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
