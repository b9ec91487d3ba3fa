import type {
  CreateRuleInput,
  CreateVariantInput,
  FeatureFlag,
  FlagRule,
  FlagVariant,
  UpdateFlagInput,
} from '../models/feature-flag.model';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import {
  FlagNotFoundError,
  FlagRuleNotFoundError,
  FlagVariantNotFoundError,
  FlagVersionConflictError,
} from './storage.errors';

/** Options of `modifyFlag` and the edit helpers built on it. */
export interface ModifyFlagOptions {
  /**
   * Attempts after the first one when another writer got in between. Default 50: enough for 50
   * concurrent edits of one flag on a SQL backend, where losers first wait for the row lock.
   */
  retries?: number;
}

export const DEFAULT_MODIFY_FLAG_RETRIES = 50;

/** The change `modifyFlag` applies: gets a fresh copy of the flag, returns it changed. */
export type FlagChange = (flag: FeatureFlag) => UpdateFlagInput | Promise<UpdateFlagInput>;

/**
 * Read, change, compare-and-set, and on a FlagVersionConflictError start again from a fresh read
 * (after a short random pause, so that many writers spread out). `change` may run several times;
 * it should depend only on the flag it is given. What it throws propagates at once.
 * @throws FlagNotFoundError when there is no such flag.
 * @throws FlagVersionConflictError when every attempt lost its race.
 */
export async function modifyFlag(
  storage: FeatureFlagStorage,
  key: string,
  change: FlagChange,
  options: ModifyFlagOptions = {},
): Promise<FeatureFlag> {
  const retries = options.retries ?? DEFAULT_MODIFY_FLAG_RETRIES;
  for (let attempt = 0; ; attempt++) {
    const flag = await storage.getFlag(key);
    if (!flag) throw new FlagNotFoundError(key);
    const version = flag.version;
    const changed = await change(flag);
    try {
      // The version read, whatever `change` did to it: the write must be based on this read.
      return await storage.updateFlag({ ...changed, key, version });
    } catch (error) {
      if (!(error instanceof FlagVersionConflictError) || attempt >= retries) throw error;
    }
    await pause(attempt);
  }
}

/** Appends a rule (ids and defaults filled as on `createFlag`). */
export function addRule(
  storage: FeatureFlagStorage,
  key: string,
  rule: CreateRuleInput,
  options?: ModifyFlagOptions,
): Promise<FeatureFlag> {
  return modifyFlag(
    storage,
    key,
    (flag) => ({ ...flag, rules: [...flag.rules, rule as FlagRule] }),
    options,
  );
}

/** Changes the rule with this id. @throws FlagRuleNotFoundError */
export function updateRule(
  storage: FeatureFlagStorage,
  key: string,
  ruleId: string,
  changes: Partial<Omit<FlagRule, 'id'>>,
  options?: ModifyFlagOptions,
): Promise<FeatureFlag> {
  return modifyFlag(
    storage,
    key,
    (flag) => ({
      ...flag,
      rules: replaceAt(flag.rules, indexOf(flag.rules, 'id', ruleId, key, 'rule'), changes),
    }),
    options,
  );
}

/** Removes the rule with this id. @throws FlagRuleNotFoundError */
export function removeRule(
  storage: FeatureFlagStorage,
  key: string,
  ruleId: string,
  options?: ModifyFlagOptions,
): Promise<FeatureFlag> {
  return modifyFlag(
    storage,
    key,
    (flag) => {
      const index = indexOf(flag.rules, 'id', ruleId, key, 'rule');
      return { ...flag, rules: flag.rules.filter((_, i) => i !== index) };
    },
    options,
  );
}

/** Appends a variant. */
export function addVariant(
  storage: FeatureFlagStorage,
  key: string,
  variant: CreateVariantInput,
  options?: ModifyFlagOptions,
): Promise<FeatureFlag> {
  return modifyFlag(
    storage,
    key,
    (flag) => ({ ...flag, variants: [...flag.variants, variant as FlagVariant] }),
    options,
  );
}

/** Changes the variant with this key. @throws FlagVariantNotFoundError */
export function updateVariant(
  storage: FeatureFlagStorage,
  key: string,
  variantKey: string,
  changes: Partial<Omit<FlagVariant, 'id'>>,
  options?: ModifyFlagOptions,
): Promise<FeatureFlag> {
  return modifyFlag(
    storage,
    key,
    (flag) => ({
      ...flag,
      variants: replaceAt(
        flag.variants,
        indexOf(flag.variants, 'key', variantKey, key, 'variant'),
        changes,
      ),
    }),
    options,
  );
}

/** Removes the variant with this key. @throws FlagVariantNotFoundError */
export function removeVariant(
  storage: FeatureFlagStorage,
  key: string,
  variantKey: string,
  options?: ModifyFlagOptions,
): Promise<FeatureFlag> {
  return modifyFlag(
    storage,
    key,
    (flag) => {
      const index = indexOf(flag.variants, 'key', variantKey, key, 'variant');
      return { ...flag, variants: flag.variants.filter((_, i) => i !== index) };
    },
    options,
  );
}

function indexOf<T extends { id: string; key?: string }>(
  items: readonly T[],
  field: 'id' | 'key',
  ref: string,
  flagKey: string,
  kind: 'rule' | 'variant',
): number {
  const index = items.findIndex((item) => item[field] === ref);
  if (index !== -1) return index;
  throw kind === 'rule'
    ? new FlagRuleNotFoundError(flagKey, ref)
    : new FlagVariantNotFoundError(flagKey, ref);
}

function replaceAt<T extends { id: string }>(
  items: readonly T[],
  index: number,
  changes: Partial<Omit<T, 'id'>>,
): T[] {
  return items.map((item, i) => (i === index ? { ...item, ...withoutUndefined(changes) } : item));
}

function withoutUndefined<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(changes).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

/** Full jitter over an exponential window (4 ms, 8 ms, … capped at 250 ms). */
function pause(attempt: number): Promise<void> {
  const window = Math.min(250, 2 ** (attempt + 2));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * window));
}
