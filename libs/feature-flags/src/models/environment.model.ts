import { newId } from '@gatekeeper/common';
import { InvalidFlagError } from '../storage/storage.errors';
import {
  buildRule,
  buildVariant,
  copyDate,
  FieldCheck,
  FLAG_LIMITS,
  printable,
  type CreateRuleInput,
  type CreateVariantInput,
  type FlagRule,
  type FlagVariant,
  type JsonValue,
} from './feature-flag.model';

/**
 * A deployment stage (`production`, `staging`, `dev-alice`) that one store serves. An evaluation
 * whose context names an environment (`EvaluationContext.environment`, its slug) sees each flag
 * as configured for that environment: every field an `EnvironmentFlag` sets, taken from the
 * nearest environment in the chain env → parent → …, else from the flag itself.
 */
export interface Environment {
  id: string;
  name: string;
  /** Unique; what contexts, headers and URLs name the environment by (`[a-z0-9_-]`, ≤ 64). */
  slug: string;
  description: string | null;
  /** The id of the environment this one inherits from, or `null`. */
  parentId: string | null;
  /** Free-form settings of the environment, for the application; evaluation does not read them. */
  settings: Record<string, JsonValue>;
  /** An inactive environment is skipped: its flag settings apply nowhere, its parent's still do. */
  isActive: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What `createEnvironment` accepts: `name` and `slug` are required. */
export type CreateEnvironmentInput = Pick<Environment, 'name' | 'slug'> &
  Partial<Omit<Environment, 'name' | 'slug'>>;

/** What `updateEnvironment` accepts: an environment as read, changed (a full replacement by `id`). */
export type UpdateEnvironmentInput = Pick<Environment, 'id' | 'name' | 'slug'> &
  Partial<Omit<Environment, 'id' | 'name' | 'slug'>>;

/**
 * How one flag behaves in one environment. Every field is `null` to inherit it (from the parent
 * environment, else from the flag).
 */
export interface EnvironmentFlag {
  id: string;
  environmentId: string;
  flagId: string;
  /**
   * `false`: the flag is off here (status `inactive`, default off: reason `DISABLED`); `true`: on
   * (status `active`, default on), as the scheduled changes `disable` / `enable` switch it.
   */
  enabled: boolean | null;
  /** Replaces the rollout percentage of the flag's rollout rules (see `withRolloutPercentage`). */
  percentage: number | null;
  /** Replaces the flag's rules. */
  rules: FlagRule[] | null;
  /** Replaces the flag's variants. */
  variants: FlagVariant[] | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What `createEnvironmentFlag` accepts: the pair, and the fields to set (the rest inherit). */
export type CreateEnvironmentFlagInput = Pick<EnvironmentFlag, 'environmentId' | 'flagId'> &
  Partial<
    Omit<EnvironmentFlag, 'environmentId' | 'flagId' | 'rules' | 'variants'> & {
      rules: CreateRuleInput[] | null;
      variants: CreateVariantInput[] | null;
    }
  >;

/** What `updateEnvironmentFlag` accepts: a full replacement of the pair's settings. */
export type UpdateEnvironmentFlagInput = CreateEnvironmentFlagInput;

const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Whether `slug` could name an environment: reads by any other slug answer "not found". */
export function isEnvironmentSlug(slug: unknown): slug is string {
  return typeof slug === 'string' && SLUG.test(slug);
}

/**
 * Normalises input into a complete, validated environment (id, defaults, timestamps), as
 * `buildFlag` does for flags. `createdAt` and `id` are kept when present; `updatedAt` is `now`.
 * @throws InvalidFlagError when a field cannot be stored as given.
 */
export function buildEnvironment(
  input: CreateEnvironmentInput | UpdateEnvironmentInput,
  now: Date = new Date(),
): Environment {
  const slug = input.slug;
  if (!isEnvironmentSlug(slug)) {
    throw new InvalidFlagError(
      'an environment needs a slug of 1–64 lowercase letters, digits, "-" or "_", starting with a letter or digit',
      'slug',
    );
  }
  const check = new FieldCheck(`environment "${slug}": `);
  if (typeof input.name !== 'string' || input.name.trim() === '') {
    check.fail('name', 'must be a non-empty string');
  }
  check.key('name', input.name, FLAG_LIMITS.nameLength);
  if (input.id !== undefined) check.key('id', input.id, FLAG_LIMITS.idLength);
  check.optionalText('description', input.description, FLAG_LIMITS.descriptionLength, true);
  const parent = input.parentId ?? null;
  if (parent !== null) {
    check.key('parentId', parent, FLAG_LIMITS.idLength);
    if (parent === input.id) check.fail('parentId', 'must not be the environment itself');
  }
  const settings: unknown = input.settings ?? {};
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    check.fail('settings', 'must be an object');
  }
  check.json('settings', settings, FLAG_LIMITS.metadataBytes);
  if (input.isActive !== undefined && typeof input.isActive !== 'boolean') {
    check.fail('isActive', 'must be a boolean');
  }
  return {
    id: input.id ?? newId(),
    name: input.name,
    slug,
    description: input.description ?? null,
    parentId: parent,
    settings: structuredClone(settings as Record<string, JsonValue>),
    isActive: input.isActive ?? true,
    createdAt: copyDate(input.createdAt) ?? now,
    updatedAt: now,
  };
}

/**
 * Normalises input into a complete, validated environment flag. Rules and variants are checked
 * as a flag's are; `null` (or absent) inherits.
 * @throws InvalidFlagError when a field cannot be stored as given.
 */
export function buildEnvironmentFlag(
  input: CreateEnvironmentFlagInput,
  now: Date = new Date(),
): EnvironmentFlag {
  const where = `environment flag ${printable(String(input.environmentId))}/${printable(String(input.flagId))}: `;
  const check = new FieldCheck(where);
  check.key('environmentId', input.environmentId, FLAG_LIMITS.idLength);
  check.key('flagId', input.flagId, FLAG_LIMITS.idLength);
  if (input.id !== undefined) check.key('id', input.id, FLAG_LIMITS.idLength);
  const enabled = input.enabled ?? null;
  if (enabled !== null && typeof enabled !== 'boolean')
    check.fail('enabled', 'must be a boolean or null');
  const percentage = input.percentage ?? null;
  if (percentage !== null) check.percentage('percentage', percentage);
  const rules: unknown = input.rules ?? null;
  if (rules !== null && !Array.isArray(rules)) check.fail('rules', 'must be an array or null');
  const variants: unknown = input.variants ?? null;
  if (variants !== null && !Array.isArray(variants)) {
    check.fail('variants', 'must be an array or null');
  }
  return {
    id: input.id ?? newId(),
    environmentId: input.environmentId,
    flagId: input.flagId,
    enabled,
    percentage,
    rules:
      rules === null
        ? null
        : (rules as CreateRuleInput[]).map((rule, index) => buildRule(where, rule, index)),
    variants:
      variants === null
        ? null
        : (variants as CreateVariantInput[]).map((variant, index) =>
            buildVariant(where, variant, index),
          ),
    createdAt: copyDate(input.createdAt) ?? now,
    updatedAt: now,
  };
}
