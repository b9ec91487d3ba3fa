import {
  FeatureFlagClient,
  FlagVersionConflictError,
  InjectFeatureFlagStorage,
  modifyFlag,
  type EvaluationDetails,
  type FeatureFlag,
  type FeatureFlagStorage,
  type FlagOverride,
  type FlagRule,
  type FlagChange,
} from '@gatekeeper/feature-flags';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { ownerContext } from '../../gatekeeper/api-key.context';
import type { CreateFlagDto } from './dto/create-flag.dto';
import type { OverrideDto } from './dto/override.dto';
import type { OverrideParamsDto } from './dto/override-params.dto';
import type { RuleDto } from './dto/rule.dto';
import type { UpdateFlagDto } from './dto/update-flag.dto';
import type { UpdateRuleDto } from './dto/update-rule.dto';
import { assertFits, assertUniqueRuleNames, assertVariantWeights } from './flag-checks';
import { IfMatch } from './flag-etag';

/**
 * Flag administration on top of the configured `FeatureFlagStorage`. Every change is checked in
 * full first and then written with a single storage call, so a refused request changes nothing.
 *
 * Changes are compare-and-set writes on the flag's version. Without `If-Match` they go through
 * `modifyFlag`: a concurrent change makes them read again and re-apply (so 20 concurrent rule adds
 * keep 20 rules), and only a race lost on every retry surfaces (FlagVersionConflictError → 409).
 * With `If-Match` the client's copy is the base: a flag at another version is 412, at once.
 */
@Injectable()
export class FlagsAdminService {
  constructor(
    @InjectFeatureFlagStorage() private readonly storage: FeatureFlagStorage,
    private readonly client: FeatureFlagClient,
  ) {}

  /** The storage contract lists active flags only; inactive ones are still reachable by key. */
  listActive(): Promise<FeatureFlag[]> {
    return this.storage.getAllActiveFlags();
  }

  async get(key: string): Promise<FeatureFlag> {
    const flag = await this.storage.getFlag(key);
    if (!flag) throw new NotFoundException(`no feature flag with key "${key}"`);
    return flag;
  }

  create(input: CreateFlagDto): Promise<FeatureFlag> {
    const flagType = input.flagType ?? 'boolean';
    assertFits(flagType, 'defaultValue', input.defaultValue);
    input.rules?.forEach((rule, index) =>
      assertFits(flagType, `rules.${index}.serveValue`, rule.serveValue),
    );
    assertUniqueRuleNames(input.rules ?? []);
    assertVariantWeights(input.variants);
    return this.storage.createFlag(input);
  }

  update(key: string, changes: UpdateFlagDto, ifMatch?: IfMatch): Promise<FeatureFlag> {
    return this.modify(key, ifMatch, (flag) => {
      const next: FeatureFlag = { ...flag, ...withoutUndefined(changes) } as FeatureFlag;
      if (changes.flagType !== undefined || changes.defaultValue !== undefined) {
        assertFits(next.flagType, 'defaultValue', next.defaultValue);
      }
      assertVariantWeights(changes.variants);
      return next;
    });
  }

  /**
   * With If-Match the version is checked first; the delete itself is not conditional (the storage
   * contract has no conditional delete), so a change landing in between is not detected.
   */
  async delete(key: string, ifMatch?: IfMatch): Promise<void> {
    if (ifMatch) ifMatch.check(await this.get(key));
    if (!(await this.storage.deleteFlag(key))) {
      throw new NotFoundException(`no feature flag with key "${key}"`);
    }
  }

  addRule(key: string, input: RuleDto, ifMatch?: IfMatch): Promise<FeatureFlag> {
    return this.modify(key, ifMatch, (flag) => {
      if (flag.rules.some((rule) => rule.name === input.name)) {
        throw new ConflictException(`flag "${key}" already has a rule named "${input.name}"`);
      }
      assertFits(flag.flagType, 'serveValue', input.serveValue);
      const priority = input.priority ?? Math.max(-1, ...flag.rules.map((r) => r.priority)) + 1;
      // The storage fills ids and defaults for the new rule, exactly as on createFlag.
      const rules = [...flag.rules, { ...input, priority }] as FlagRule[];
      return { ...flag, rules };
    });
  }

  updateRule(
    key: string,
    ruleRef: string,
    changes: UpdateRuleDto,
    ifMatch?: IfMatch,
  ): Promise<FeatureFlag> {
    return this.modify(key, ifMatch, (flag) => {
      const index = findRule(flag, ruleRef);
      const rule: FlagRule = { ...flag.rules[index], ...withoutUndefined(changes) };
      if (
        changes.name !== undefined &&
        flag.rules.some((r, i) => i !== index && r.name === rule.name)
      ) {
        throw new ConflictException(`flag "${key}" already has a rule named "${rule.name}"`);
      }
      assertFits(flag.flagType, 'serveValue', rule.serveValue);
      const rules = flag.rules.map((existing, i) => (i === index ? rule : existing));
      return { ...flag, rules };
    });
  }

  deleteRule(key: string, ruleRef: string, ifMatch?: IfMatch): Promise<FeatureFlag> {
    return this.modify(key, ifMatch, (flag) => {
      const index = findRule(flag, ruleRef);
      return { ...flag, rules: flag.rules.filter((_, i) => i !== index) };
    });
  }

  async getOverride({ key, entityType, entityId }: OverrideParamsDto): Promise<FlagOverride> {
    const flag = await this.get(key);
    const override = await this.storage.getOverride(flag.id, entityType, entityId);
    if (!override) {
      throw new NotFoundException(`flag "${key}" has no override for ${entityType} "${entityId}"`);
    }
    return override;
  }

  async setOverride(
    { key, entityType, entityId }: OverrideParamsDto,
    input: OverrideDto,
  ): Promise<FlagOverride> {
    const flag = await this.get(key);
    assertFits(flag.flagType, 'value', input.value);
    return this.storage.createOverride({
      flagId: flag.id,
      entityType,
      entityId,
      enabled: input.enabled,
      value: input.value ?? null,
      expiresAt: input.expiresAt ?? null,
    });
  }

  async deleteOverride({ key, entityType, entityId }: OverrideParamsDto): Promise<void> {
    const flag = await this.get(key);
    if (!(await this.storage.deleteOverride(flag.id, entityType, entityId))) {
      throw new NotFoundException(`flag "${key}" has no override for ${entityType} "${entityId}"`);
    }
  }

  /** Applies `change` as a compare-and-set: retried on conflict, or once against `ifMatch`. */
  private async modify(
    key: string,
    ifMatch: IfMatch | undefined,
    change: FlagChange,
  ): Promise<FeatureFlag> {
    if (!ifMatch) return modifyFlag(this.storage, key, change);
    const flag = await this.get(key);
    ifMatch.check(flag);
    try {
      return await this.storage.updateFlag({ ...(await change(flag)), version: flag.version });
    } catch (error) {
      // Changed after the check: the client's copy is stale all the same.
      if (error instanceof FlagVersionConflictError) {
        throw IfMatch.failed({ key, version: error.actual });
      }
      throw error;
    }
  }

  /** What a key of `ownerId` gets, with the reason: the same context the routes use. */
  async evaluate(key: string, ownerId: string): Promise<EvaluationDetails> {
    const flag = await this.get(key);
    const evaluated = await this.client.getFlags([flag.key], ownerContext(ownerId));
    return evaluated[flag.key];
  }
}

/** A rule by id, or by name (names are unique within a flag in this API). */
function findRule(flag: FeatureFlag, ruleRef: string): number {
  const byId = flag.rules.findIndex((rule) => rule.id === ruleRef);
  if (byId !== -1) return byId;
  const byName = flag.rules.flatMap((rule, index) => (rule.name === ruleRef ? [index] : []));
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) {
    throw new ConflictException(
      `flag "${flag.key}" has several rules named "${ruleRef}": use the rule id`,
    );
  }
  throw new NotFoundException(`flag "${flag.key}" has no rule "${ruleRef}"`);
}

function withoutUndefined<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(changes).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
