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
import type { Segment } from '../models/segment.model';
import {
  ErrorCode,
  EvaluationReason,
  type EvaluationContext,
  type EvaluationDetails,
} from '../models/evaluation.model';
import { isInRollout, selectVariant, splitsTraffic } from './bucketing';
import { getContextAttribute } from './context-attributes';
import { evaluateOperator } from './operators';
import { NO_SEGMENTS, type SegmentLookup } from './segments';
import { schedulesAllow } from './time-schedules';
import type { TimeSchedule } from '../models/time-schedule.model';

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
 * unexpired one wins, and the segments the flag's `in_segment` / `not_in_segment` conditions name
 * (without them every segment is unknown), and the flag's time schedules: with enabled ones, the
 * flag is on only inside one of their windows at `now`. Never throws; a flag whose stored shape
 * cannot be interpreted yields reason ERROR with PARSE_ERROR.
 */
export function evaluateFlag(
  flag: FeatureFlag,
  context: EvaluationContext,
  overrides: ReadonlyArray<FlagOverride | null | undefined> | undefined = NO_OVERRIDES,
  now?: Date,
  segments: SegmentLookup = NO_SEGMENTS,
  schedules?: readonly TimeSchedule[],
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

    if (schedules !== undefined && !schedulesAllow(schedules, (now ??= new Date()))) {
      return scheduledOff(flag);
    }

    for (const rule of rulesInOrder(flag.rules)) {
      if (!rule.enabled || !matchesAll(rule.conditions, context, segments)) continue;
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

function matchesAll(
  conditions: readonly FlagCondition[],
  context: EvaluationContext,
  segments: SegmentLookup,
): boolean {
  if (!isList(conditions)) {
    throw new TypeError('conditions must be an array');
  }
  for (let i = 0; i < conditions.length; i++) {
    const condition = conditions[i];
    const operator = condition?.operator;
    if (operator === 'in_segment' || operator === 'not_in_segment') {
      const membership = segmentMembership(condition.value, context, segments, new Set());
      // A cycle answers neither question: the condition is false either way.
      const holds =
        operator === 'in_segment'
          ? membership === Membership.Member
          : membership === Membership.NotMember || membership === Membership.Unknown;
      if (!holds) return false;
      continue;
    }
    if (
      typeof condition?.attribute !== 'string' ||
      !evaluateOperator(
        operator,
        getContextAttribute(context, condition.attribute),
        condition.value,
      )
    ) {
      return false;
    }
  }
  return true;
}

const enum Membership {
  Member,
  NotMember,
  /** No segment has this id or name. */
  Unknown,
  /** The segment is its own ancestor (or names itself through a condition). */
  Cycle,
}

/**
 * Whether `context` is in the segment `ref` (an id or a name): the segment and each of its
 * ancestors enabled and matching all their conditions. `path` holds the ids being evaluated, so a
 * cycle (through parents or `in_segment` conditions) is detected instead of followed forever.
 */
function segmentMembership(
  ref: unknown,
  context: EvaluationContext,
  segments: SegmentLookup,
  path: Set<string>,
): Membership {
  const first = typeof ref === 'string' ? segments.get(ref) : undefined;
  if (first === undefined) return Membership.Unknown;
  // The whole chain first: a cycle is reported as such, whatever a member on the way answers.
  const chain: Segment[] = [];
  let missingAncestor = false;
  for (let segment: Segment | undefined = first; segment !== undefined;) {
    if (path.has(segment.id)) {
      for (const walked of chain) path.delete(walked.id);
      return Membership.Cycle;
    }
    path.add(segment.id);
    chain.push(segment);
    const parentId = segment.parentSegmentId;
    if (parentId === null || parentId === undefined) break;
    segment = segments.getById(parentId);
    // A parent that no longer exists has no members.
    if (segment === undefined) missingAncestor = true;
  }
  let result = missingAncestor ? Membership.NotMember : Membership.Member;
  for (let i = 0; i < chain.length && result === Membership.Member; i++) {
    const segment = chain[i];
    result =
      segment.enabled === true
        ? segmentConditions(segment.conditions, context, segments, path)
        : Membership.NotMember;
  }
  for (const walked of chain) path.delete(walked.id);
  return result;
}

/** A segment's conditions, ANDed; a nested segment condition carries a cycle up. */
function segmentConditions(
  conditions: readonly FlagCondition[],
  context: EvaluationContext,
  segments: SegmentLookup,
  path: Set<string>,
): Membership {
  if (!isList(conditions)) return Membership.NotMember;
  for (let i = 0; i < conditions.length; i++) {
    const condition = conditions[i];
    const operator = condition?.operator;
    if (operator === 'in_segment' || operator === 'not_in_segment') {
      const nested = segmentMembership(condition.value, context, segments, path);
      if (nested === Membership.Cycle) return Membership.Cycle;
      const holds =
        operator === 'in_segment' ? nested === Membership.Member : nested !== Membership.Member;
      if (!holds) return Membership.NotMember;
    } else if (
      typeof condition?.attribute !== 'string' ||
      !evaluateOperator(
        operator,
        getContextAttribute(context, condition.attribute),
        condition.value,
      )
    ) {
      return Membership.NotMember;
    }
  }
  return Membership.Member;
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

/** Outside its time schedules' windows a flag is off: `false`, or its value with `enabled` false. */
function scheduledOff(flag: FeatureFlag): FlagEvaluation {
  return {
    ...flagDefault(flag, EvaluationReason.DISABLED),
    value: flag.flagType === 'boolean' ? false : flag.defaultValue,
    enabled: false,
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
