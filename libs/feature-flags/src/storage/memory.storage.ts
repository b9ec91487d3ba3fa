import { deepCopy } from '@gatekeeper/common';
import {
  buildFlag,
  buildOverride,
  isOverrideExpired,
  type CreateFlagInput,
  type CreateOverrideInput,
  type FeatureFlag,
  type FlagOverride,
} from '../models/feature-flag.model';
import type { FeatureFlagStorage, SynchronousFlagLookup } from './feature-flag-storage.interface';
import { FlagAlreadyExistsError, FlagNotFoundError } from './storage.errors';

/**
 * Process-local storage for development, tests and single-instance services. Nothing survives a
 * restart and instances do not share state.
 */
export class MemoryFeatureFlagStorage implements FeatureFlagStorage, SynchronousFlagLookup {
  private readonly flags = new Map<string, FeatureFlag>();
  /** flagId → entityType → entityId → override: lookups build no key string. */
  private readonly overrides = new Map<string, Map<string, Map<string, FlagOverride>>>();

  /** Process memory cannot fail. */
  readonly degraded = false;
  /** A subclass that reads differently (overrides getFlag / getOverride) is asked through them. */
  private readonly peekable =
    this.getFlag === MemoryFeatureFlagStorage.prototype.getFlag &&
    this.getOverride === MemoryFeatureFlagStorage.prototype.getOverride;

  /** The stored flag itself, for the client's synchronous evaluation (which never mutates it). */
  peekFlag(key: string): FeatureFlag | null | undefined {
    if (!this.peekable) return undefined;
    return this.flags.get(key) ?? null;
  }

  /** The stored live override itself, for the client's synchronous evaluation. */
  peekOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): FlagOverride | null | undefined {
    if (!this.peekable) return undefined;
    return this.liveOverride(flagId, entityType, entityId);
  }

  async getFlag(key: string): Promise<FeatureFlag | null> {
    const flag = this.flags.get(key);
    return flag ? deepCopy(flag) : null;
  }

  async getFlags(keys: readonly string[]): Promise<Map<string, FeatureFlag>> {
    const found = new Map<string, FeatureFlag>();
    for (const key of keys) {
      const flag = this.flags.get(key);
      if (flag) found.set(key, deepCopy(flag));
    }
    return found;
  }

  async getAllActiveFlags(): Promise<FeatureFlag[]> {
    return [...this.flags.values()]
      .filter((flag) => flag.status === 'active')
      .map((flag) => deepCopy(flag));
  }

  async getOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): Promise<FlagOverride | null> {
    const override = this.liveOverride(flagId, entityType, entityId);
    return override && deepCopy(override);
  }

  async createFlag(input: CreateFlagInput): Promise<FeatureFlag> {
    const flag = buildFlag(input);
    if (this.flags.has(flag.key)) throw new FlagAlreadyExistsError(flag.key);
    this.flags.set(flag.key, flag);
    return deepCopy(flag);
  }

  async updateFlag(flag: FeatureFlag): Promise<FeatureFlag> {
    const stored = this.flags.get(flag.key);
    if (!stored) throw new FlagNotFoundError(flag.key);
    const updated = buildFlag({ ...flag, id: stored.id, createdAt: stored.createdAt });
    this.flags.set(updated.key, updated);
    return deepCopy(updated);
  }

  async deleteFlag(key: string): Promise<boolean> {
    const flag = this.flags.get(key);
    if (!flag) return false;
    this.flags.delete(key);
    this.overrides.delete(flag.id);
    return true;
  }

  async createOverride(input: CreateOverrideInput): Promise<FlagOverride> {
    const existing = this.liveOverride(input.flagId, input.entityType, input.entityId) ?? undefined;
    // An upsert keeps the identity of the live override it replaces.
    const override = buildOverride({
      ...input,
      id: existing?.id ?? input.id,
      createdAt: existing?.createdAt ?? input.createdAt,
    });
    const byType = getOrAdd(
      this.overrides,
      override.flagId,
      () => new Map<string, Map<string, FlagOverride>>(),
    );
    const byId = getOrAdd(byType, override.entityType, () => new Map<string, FlagOverride>());
    byId.set(override.entityId, override);
    return deepCopy(override);
  }

  async deleteOverride(flagId: string, entityType: string, entityId: string): Promise<boolean> {
    return this.removeOverride(flagId, entityType, entityId);
  }

  async healthCheck(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    // Nothing to release; the data stays readable, like a pool that was never opened.
  }

  private liveOverride(flagId: string, entityType: string, entityId: string): FlagOverride | null {
    const override = this.overrides.get(flagId)?.get(entityType)?.get(entityId);
    if (!override) return null;
    if (isOverrideExpired(override)) {
      // Expired entries are dead weight; dropping them on read keeps the maps from growing.
      this.removeOverride(flagId, entityType, entityId);
      return null;
    }
    return override;
  }

  private removeOverride(flagId: string, entityType: string, entityId: string): boolean {
    const byType = this.overrides.get(flagId);
    const byId = byType?.get(entityType);
    if (!byType || !byId?.delete(entityId)) return false;
    if (byId.size === 0) byType.delete(entityType);
    if (byType.size === 0) this.overrides.delete(flagId);
    return true;
  }
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
