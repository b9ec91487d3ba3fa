import { newId } from '@gatekeeper/common';
import { InvalidFlagError } from '../storage/storage.errors';
import { patternProblem } from '../evaluation/pattern';

/**
 * The data model every storage backend persists. Field names are part of the public contract
 * (camelCase here, snake_case on the wire), so they match litestar-flags one for one.
 */

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export const FLAG_TYPES = ['boolean', 'string', 'number', 'json'] as const;
export type FlagType = (typeof FLAG_TYPES)[number];

export const FLAG_STATUSES = ['active', 'inactive', 'archived'] as const;
export type FlagStatus = (typeof FLAG_STATUSES)[number];

export const CONDITION_OPERATORS = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'not_in',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'matches',
  'semver_eq',
  'semver_gt',
  'semver_lt',
  'date_after',
  'date_before',
] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** The entity types an override can target, in the order evaluation consults them. */
export const OVERRIDE_ENTITY_TYPES = ['user', 'organization', 'tenant', 'targeting_key'] as const;
export type OverrideEntityType = (typeof OVERRIDE_ENTITY_TYPES)[number];

export function isOverrideEntityType(entityType: unknown): entityType is OverrideEntityType {
  return (OVERRIDE_ENTITY_TYPES as readonly unknown[]).includes(entityType);
}

export interface FlagCondition {
  /** A context field (`userId` or `user_id`, `country`, …) or a key of `context.attributes`. */
  attribute: string;
  /** Typed for authoring; stored data may hold anything, and an unknown operator never matches. */
  operator: ConditionOperator;
  value: JsonValue;
}

export interface FlagRule {
  id: string;
  name: string;
  description: string | null;
  /** Lower runs first. */
  priority: number;
  enabled: boolean;
  /** ANDed; an empty list matches every context. */
  conditions: FlagCondition[];
  serveEnabled: boolean;
  /** For non-boolean flags; `null` serves the flag's `defaultValue`. */
  serveValue: JsonValue;
  /** 0–100 of the matching contexts, by targeting key; `null` means everyone (100). */
  rolloutPercentage: number | null;
}

export interface FlagVariant {
  id: string;
  key: string;
  name: string;
  description: string | null;
  value: JsonValue;
  /** 0–100: the share of targeting keys that get this variant. */
  weight: number;
}

export interface FeatureFlag {
  id: string;
  key: string;
  name: string;
  description: string | null;
  flagType: FlagType;
  status: FlagStatus;
  /** The value of a boolean flag, and whether a non-boolean flag is "on", when nothing else applies. */
  defaultEnabled: boolean;
  /** The value of a non-boolean flag when nothing else applies. */
  defaultValue: JsonValue;
  tags: string[];
  metadata: Record<string, JsonValue>;
  rules: FlagRule[];
  variants: FlagVariant[];
  createdAt: Date;
  updatedAt: Date;
}

export interface FlagOverride {
  id: string;
  flagId: string;
  /** One of OVERRIDE_ENTITY_TYPES for evaluation to see it; storages accept any string. */
  entityType: string;
  entityId: string;
  enabled: boolean;
  value: JsonValue;
  /** Expired overrides are invisible to every storage read. */
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type CreateRuleInput = Partial<FlagRule>;

export type CreateVariantInput = Pick<FlagVariant, 'key' | 'value' | 'weight'> &
  Partial<FlagVariant>;

/** What `createFlag` accepts: only `key` is required; a full `FeatureFlag` is accepted as well. */
export type CreateFlagInput = Pick<FeatureFlag, 'key'> &
  Partial<Omit<FeatureFlag, 'key' | 'rules' | 'variants'>> & {
    rules?: CreateRuleInput[];
    variants?: CreateVariantInput[];
  };

export type CreateOverrideInput = Pick<FlagOverride, 'flagId' | 'entityType' | 'entityId'> &
  Partial<Omit<FlagOverride, 'flagId' | 'entityType' | 'entityId'>>;

/**
 * Normalises input into a complete, validated flag: fills ids, defaults and timestamps. Every
 * backend builds flags through this one function so defaults cannot drift between them.
 * `createdAt` and ids are kept when present (updates and imports); `updatedAt` is always `now`.
 * @throws InvalidFlagError when a field cannot be stored as given.
 */
export function buildFlag(input: CreateFlagInput, now: Date = new Date()): FeatureFlag {
  const key = input.key;
  if (typeof key !== 'string' || key.trim() === '') {
    throw new InvalidFlagError('a flag needs a non-empty string key');
  }
  const flagType = input.flagType ?? 'boolean';
  if (!FLAG_TYPES.includes(flagType)) {
    throw new InvalidFlagError(`flag "${key}": flagType must be one of ${FLAG_TYPES.join(', ')}`);
  }
  const status = input.status ?? 'active';
  if (!FLAG_STATUSES.includes(status)) {
    throw new InvalidFlagError(`flag "${key}": status must be one of ${FLAG_STATUSES.join(', ')}`);
  }
  return {
    id: input.id ?? newId(),
    key,
    name: input.name ?? key,
    description: input.description ?? null,
    flagType,
    status,
    defaultEnabled: input.defaultEnabled ?? false,
    defaultValue: input.defaultValue ?? null,
    tags: [...(input.tags ?? [])],
    metadata: structuredClone(input.metadata ?? {}),
    rules: (input.rules ?? []).map((rule, index) => buildRule(key, rule, index)),
    variants: (input.variants ?? []).map((variant) => buildVariant(key, variant)),
    createdAt: copyDate(input.createdAt) ?? now,
    updatedAt: now,
  };
}

/** Normalises override input like `buildFlag` does for flags. */
export function buildOverride(input: CreateOverrideInput, now: Date = new Date()): FlagOverride {
  for (const field of ['flagId', 'entityType', 'entityId'] as const) {
    if (typeof input[field] !== 'string' || input[field] === '') {
      throw new InvalidFlagError(`an override needs a non-empty string ${field}`);
    }
  }
  const expiresAt = copyDate(input.expiresAt) ?? null;
  if (expiresAt !== null && Number.isNaN(expiresAt.getTime())) {
    throw new InvalidFlagError('override expiresAt must be a valid Date or null');
  }
  return {
    id: input.id ?? newId(),
    flagId: input.flagId,
    entityType: input.entityType,
    entityId: input.entityId,
    enabled: input.enabled ?? true,
    value: structuredClone(input.value ?? null),
    expiresAt,
    createdAt: copyDate(input.createdAt) ?? now,
    updatedAt: now,
  };
}

/** An override whose `expiresAt` has passed behaves as if it did not exist. */
export function isOverrideExpired(override: FlagOverride, now: Date = new Date()): boolean {
  return override.expiresAt !== null && override.expiresAt.getTime() <= now.getTime();
}

function buildRule(flagKey: string, rule: CreateRuleInput, index: number): FlagRule {
  const rollout = rule.rolloutPercentage ?? null;
  if (rollout !== null && !isPercentage(rollout)) {
    throw new InvalidFlagError(`flag "${flagKey}": rolloutPercentage must be 0–100 or null`);
  }
  for (const condition of rule.conditions ?? []) {
    const problem = condition?.operator === 'matches' ? patternProblem(condition.value) : null;
    if (problem !== null) {
      throw new InvalidFlagError(
        `flag "${flagKey}": the matches pattern of rule "${rule.name ?? index + 1}" is not supported (${problem})`,
      );
    }
  }
  return {
    id: rule.id ?? newId(),
    name: rule.name ?? `rule-${index + 1}`,
    description: rule.description ?? null,
    priority: rule.priority ?? index,
    enabled: rule.enabled ?? true,
    conditions: structuredClone(rule.conditions ?? []),
    serveEnabled: rule.serveEnabled ?? true,
    serveValue: structuredClone(rule.serveValue ?? null),
    rolloutPercentage: rollout,
  };
}

function buildVariant(flagKey: string, variant: CreateVariantInput): FlagVariant {
  if (typeof variant.key !== 'string' || variant.key === '') {
    throw new InvalidFlagError(`flag "${flagKey}": every variant needs a key`);
  }
  if (!isPercentage(variant.weight)) {
    throw new InvalidFlagError(`flag "${flagKey}": variant "${variant.key}" weight must be 0–100`);
  }
  return {
    id: variant.id ?? newId(),
    key: variant.key,
    name: variant.name ?? variant.key,
    description: variant.description ?? null,
    value: structuredClone(variant.value ?? null),
    weight: variant.weight,
  };
}

function isPercentage(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 100;
}

function copyDate(value: Date | null | undefined): Date | undefined {
  return value instanceof Date ? new Date(value.getTime()) : undefined;
}
