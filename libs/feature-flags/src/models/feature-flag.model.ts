import { newId } from '@gatekeeper/common';
import { InvalidFlagError } from '../storage/storage.errors';
import {
  checkConditions,
  copyDate,
  FieldCheck,
  FLAG_LIMITS,
  isPercentage,
  printable,
} from './field-checks';

export { buildOverride, isOverrideExpired } from './flag-override';
export {
  checkConditions,
  copyDate,
  FieldCheck,
  FLAG_LIMITS,
  isStorableKey,
  isStorableOverrideRef,
  printable,
} from './field-checks';

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
  'time_window',
  'in_segment',
  'not_in_segment',
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
  /**
   * A variant key: when set, a match serves that variant's value (and reports its key as
   * `variant`) instead of `serveEnabled`/`serveValue`. Absent when unset.
   */
  serveVariant?: string;
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
  /**
   * A variant key: when set, the answer that would serve the flag's default (reason STATIC)
   * serves that variant's value and reports its key as `variant`. Absent when unset.
   */
  defaultVariant?: string;
  createdAt: Date;
  updatedAt: Date;
  /**
   * Optimistic concurrency: 1 when created, +1 on every update. `updateFlag` with a version
   * writes only if the stored flag still has it (else FlagVersionConflictError). 0 for a flag
   * whose stored document carries no version (written by litestar-flags).
   */
  version: number;
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

/**
 * What `updateFlag` accepts: a flag as read, changed. With `version` the write is a
 * compare-and-set; without it, the write is unconditional (last writer wins).
 */
export type UpdateFlagInput = Omit<FeatureFlag, 'version'> & { version?: number };

export type CreateOverrideInput = Pick<FlagOverride, 'flagId' | 'entityType' | 'entityId'> &
  Partial<Omit<FlagOverride, 'flagId' | 'entityType' | 'entityId'>>;

/**
 * Normalises input into a complete, validated flag: fills ids, defaults and timestamps. Every
 * backend builds flags through this one function so defaults cannot drift between them.
 * `createdAt`, `version` and ids are kept when present (updates and imports); `updatedAt` is always
 * `now`. Every text, number and JSON field is checked against FLAG_LIMITS.
 * @throws InvalidFlagError when a field cannot be stored as given.
 */
export function buildFlag(
  input: CreateFlagInput | UpdateFlagInput,
  now: Date = new Date(),
): FeatureFlag {
  const key = input.key;
  if (typeof key !== 'string' || key.trim() === '') {
    throw new InvalidFlagError('a flag needs a non-empty string key', 'key');
  }
  const where = `flag "${printable(key)}": `;
  const check: FieldCheck = new FieldCheck(where);
  check.key('key', key, FLAG_LIMITS.keyLength);
  const flagType = input.flagType ?? 'boolean';
  if (!FLAG_TYPES.includes(flagType)) {
    check.fail('flagType', `must be one of ${FLAG_TYPES.join(', ')}`);
  }
  const status = input.status ?? 'active';
  if (!FLAG_STATUSES.includes(status)) {
    check.fail('status', `must be one of ${FLAG_STATUSES.join(', ')}`);
  }
  if (input.id !== undefined) check.key('id', input.id, FLAG_LIMITS.idLength);
  check.optionalText('name', input.name, FLAG_LIMITS.nameLength);
  check.optionalText('description', input.description, FLAG_LIMITS.descriptionLength, true);
  if (input.defaultEnabled !== undefined && typeof input.defaultEnabled !== 'boolean') {
    check.fail('defaultEnabled', 'must be a boolean');
  }
  check.json('defaultValue', input.defaultValue, FLAG_LIMITS.valueBytes);
  const tags: unknown = input.tags ?? [];
  if (!Array.isArray(tags)) check.fail('tags', 'must be an array of strings');
  if (tags.length > FLAG_LIMITS.tags)
    check.fail('tags', `must hold at most ${FLAG_LIMITS.tags} tags`);
  tags.forEach((tag, index) => check.text(`tags.${index}`, tag, FLAG_LIMITS.tagLength));
  const metadata: unknown = input.metadata ?? {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    check.fail('metadata', 'must be an object');
  }
  check.json('metadata', metadata, FLAG_LIMITS.metadataBytes);
  if (input.version !== undefined) check.integer('version', input.version, 0);
  const rules: unknown = input.rules ?? [];
  if (!Array.isArray(rules)) check.fail('rules', 'must be an array');
  const variants: unknown = input.variants ?? [];
  if (!Array.isArray(variants)) check.fail('variants', 'must be an array');
  const named = namedValueKeys(
    check,
    variants as CreateVariantInput[],
    input.defaultVariant,
    rules,
  );
  return {
    id: input.id ?? newId(),
    key,
    name: input.name ?? key,
    description: input.description ?? null,
    flagType,
    status,
    defaultEnabled: input.defaultEnabled ?? false,
    defaultValue: structuredClone(input.defaultValue ?? null),
    tags: [...(tags as string[])],
    metadata: structuredClone(metadata as Record<string, JsonValue>),
    rules: (rules as CreateRuleInput[]).map((rule, index) => buildRule(where, rule, index)),
    variants: (variants as CreateVariantInput[]).map((variant, index) =>
      buildVariant(where, variant, index),
    ),
    ...(named !== undefined && { defaultVariant: named }),
    createdAt: copyDate(input.createdAt) ?? now,
    updatedAt: now,
    version: input.version ?? 1,
  };
}

/** @internal One rule, validated and completed; messages start with `where` (`flag "k": `). */
export function buildRule(where: string, rule: CreateRuleInput, index: number): FlagRule {
  const check: FieldCheck = new FieldCheck(where);
  const field = `rules.${index}`;
  if (typeof rule !== 'object' || rule === null) check.fail(field, 'must be an object');
  if (rule.id !== undefined) check.key(`${field}.id`, rule.id, FLAG_LIMITS.idLength);
  check.optionalText(`${field}.name`, rule.name, FLAG_LIMITS.nameLength);
  check.optionalText(`${field}.description`, rule.description, FLAG_LIMITS.descriptionLength, true);
  if (rule.priority !== undefined) check.integer(`${field}.priority`, rule.priority);
  const rollout = rule.rolloutPercentage ?? null;
  if (rollout !== null && !isPercentage(rollout)) {
    check.fail(`${field}.rolloutPercentage`, 'must be 0–100 or null');
  }
  for (const flagField of ['enabled', 'serveEnabled'] as const) {
    if (rule[flagField] !== undefined && typeof rule[flagField] !== 'boolean') {
      check.fail(`${field}.${flagField}`, 'must be a boolean');
    }
  }
  check.json(`${field}.serveValue`, rule.serveValue, FLAG_LIMITS.valueBytes);
  const conditions = checkConditions(
    where,
    `${field}.conditions`,
    rule.conditions ?? [],
    `rule "${printable(rule.name ?? String(index + 1))}"`,
  );
  return {
    id: rule.id ?? newId(),
    name: rule.name ?? `rule-${index + 1}`,
    description: rule.description ?? null,
    priority: rule.priority ?? index,
    enabled: rule.enabled ?? true,
    conditions,
    serveEnabled: rule.serveEnabled ?? true,
    serveValue: structuredClone(rule.serveValue ?? null),
    rolloutPercentage: rollout,
    ...(rule.serveVariant != null && { serveVariant: rule.serveVariant }),
  };
}

/**
 * Checks the named values (`defaultVariant`, each rule's `serveVariant`): unset (undefined or
 * null) or the key of one of the flag's variants. Returns the flag's `defaultVariant`, if set.
 */
function namedValueKeys(
  check: FieldCheck,
  variants: readonly CreateVariantInput[],
  defaultVariant: unknown,
  rules: unknown,
): string | undefined {
  const known = (field: string, name: unknown): void => {
    if (name === undefined || name === null) return;
    if (typeof name !== 'string' || !variants.some((variant) => variant?.key === name)) {
      check.fail(field, 'must be the key of one of the variants');
    }
  };
  known('defaultVariant', defaultVariant);
  (rules as Array<Partial<FlagRule> | null>).forEach((rule, index) =>
    known(`rules.${index}.serveVariant`, rule?.serveVariant),
  );
  return (defaultVariant as string | null | undefined) ?? undefined;
}

/** @internal One variant, validated and completed; messages start with `where` (`flag "k": `). */
export function buildVariant(
  where: string,
  variant: CreateVariantInput,
  index: number,
): FlagVariant {
  const check: FieldCheck = new FieldCheck(where);
  const field = `variants.${index}`;
  if (typeof variant !== 'object' || variant === null) check.fail(field, 'must be an object');
  if (typeof variant.key !== 'string' || variant.key === '') {
    check.fail(`${field}.key`, 'is required: every variant needs a key');
  }
  check.key(`${field}.key`, variant.key, FLAG_LIMITS.keyLength);
  if (variant.id !== undefined) check.key(`${field}.id`, variant.id, FLAG_LIMITS.idLength);
  check.optionalText(`${field}.name`, variant.name, FLAG_LIMITS.nameLength);
  check.optionalText(
    `${field}.description`,
    variant.description,
    FLAG_LIMITS.descriptionLength,
    true,
  );
  if (!isPercentage(variant.weight)) {
    check.fail(`${field}.weight`, `(variant "${printable(variant.key)}") must be 0–100`);
  }
  check.json(`${field}.value`, variant.value, FLAG_LIMITS.valueBytes);
  return {
    id: variant.id ?? newId(),
    key: variant.key,
    name: variant.name ?? variant.key,
    description: variant.description ?? null,
    value: structuredClone(variant.value ?? null),
    weight: variant.weight,
  };
}
