import { deepCopy } from '@gatekeeper/common';
import { overrideEntityId } from '../evaluation/evaluation-context';
import type { EvaluationContext } from '../models/evaluation.model';
import {
  buildFlag,
  buildOverride,
  isOverrideExpired,
  isStorableKey,
  OVERRIDE_ENTITY_TYPES,
  type CreateFlagInput,
  type CreateOverrideInput,
  type FeatureFlag,
  type FlagOverride,
  type UpdateFlagInput,
} from '../models/feature-flag.model';
import {
  buildSegment,
  sortByName,
  type CreateSegmentInput,
  type Segment,
  type UpdateSegmentInput,
} from '../models/segment.model';
import type { SegmentLookup } from '../evaluation/segments';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import {
  declaredFlagSources,
  StorageFlagSource,
  type FlagInputs,
  type FlagRead,
} from './flag-source';
import {
  FlagAlreadyExistsError,
  FlagNotFoundError,
  FlagVersionConflictError,
  InvalidFlagError,
  SegmentAlreadyExistsError,
  SegmentNotFoundError,
} from './storage.errors';

/** flagId → entityType → entityId → override: lookups build no key string. */
type OverridesByFlag = Map<string, Map<string, Map<string, FlagOverride>>>;

/**
 * Process-local storage for development, tests and single-instance services. Nothing survives a
 * restart and instances do not share state. `FeatureFlagClient` evaluates its flags
 * synchronously, from the records themselves.
 */
export class MemoryFeatureFlagStorage implements FeatureFlagStorage {
  private readonly flags = new Map<string, FeatureFlag>();
  private readonly overrides: OverridesByFlag = new Map();
  private readonly segments = new MemorySegments();

  constructor() {
    const source = new MemoryFlagSource(this, this.flags, this.overrides, this.segments);
    declaredFlagSources.declare(this, MemoryFeatureFlagStorage, source);
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
    const flag = buildFlag({ ...input, version: 1 });
    if (this.flags.has(flag.key)) throw new FlagAlreadyExistsError(flag.key);
    this.flags.set(flag.key, flag);
    return deepCopy(flag);
  }

  async updateFlag(flag: UpdateFlagInput): Promise<FeatureFlag> {
    // No await between the check and the write: the compare-and-set is atomic.
    const stored = isStorableKey(flag.key) ? this.flags.get(flag.key) : undefined;
    if (!stored) throw new FlagNotFoundError(flag.key);
    if (flag.version !== undefined && flag.version !== stored.version) {
      throw new FlagVersionConflictError(flag.key, flag.version, stored.version);
    }
    const updated = buildFlag({
      ...flag,
      id: stored.id,
      createdAt: stored.createdAt,
      version: stored.version + 1,
    });
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
    const { flagId, entityType, entityId } = override;
    let byType = this.overrides.get(flagId);
    if (!byType)
      this.overrides.set(flagId, (byType = new Map<string, Map<string, FlagOverride>>()));
    let byId = byType.get(entityType);
    if (!byId) byType.set(entityType, (byId = new Map<string, FlagOverride>()));
    byId.set(entityId, override);
    return deepCopy(override);
  }

  async deleteOverride(flagId: string, entityType: string, entityId: string): Promise<boolean> {
    return this.removeOverride(flagId, entityType, entityId);
  }

  async getSegment(id: string): Promise<Segment | null> {
    const segment = this.segments.byId.get(id);
    return segment ? deepCopy(segment) : null;
  }

  async getSegmentByName(name: string): Promise<Segment | null> {
    const id = this.segments.idByName.get(name);
    return id === undefined ? null : this.getSegment(id);
  }

  async getAllSegments(): Promise<Segment[]> {
    return sortByName([...this.segments.byId.values()]).map((segment) => deepCopy(segment));
  }

  async getChildSegments(parentId: string): Promise<Segment[]> {
    return (await this.getAllSegments()).filter((segment) => segment.parentSegmentId === parentId);
  }

  async createSegment(input: CreateSegmentInput): Promise<Segment> {
    const segment = buildSegment(input);
    if (this.segments.idByName.has(segment.name)) {
      throw new SegmentAlreadyExistsError(segment.name);
    }
    if (this.segments.byId.has(segment.id)) {
      throw new InvalidFlagError(`a segment with id "${segment.id}" already exists`, 'id');
    }
    this.segments.put(segment);
    return deepCopy(segment);
  }

  async updateSegment(input: UpdateSegmentInput): Promise<Segment> {
    const stored = this.segments.byId.get(input.id);
    if (!stored) throw new SegmentNotFoundError(input.id);
    const segment = buildSegment({ ...input, createdAt: stored.createdAt });
    const owner = this.segments.idByName.get(segment.name);
    if (owner !== undefined && owner !== segment.id) {
      throw new SegmentAlreadyExistsError(segment.name);
    }
    this.segments.remove(stored);
    this.segments.put(segment);
    return deepCopy(segment);
  }

  async deleteSegment(id: string): Promise<boolean> {
    const stored = this.segments.byId.get(id);
    if (!stored) return false;
    this.segments.remove(stored);
    return true;
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

/**
 * Answers evaluations from the storage's own records, synchronously (evaluation never changes
 * them); bulk reads go through the storage's methods.
 */
class MemoryFlagSource extends StorageFlagSource {
  constructor(
    storage: MemoryFeatureFlagStorage,
    private readonly flags: Map<string, FeatureFlag>,
    private readonly overrides: OverridesByFlag,
    private readonly segments: MemorySegments,
  ) {
    super(storage);
  }

  /** The records themselves, in process. */
  protected override readSegments(): SegmentLookup {
    return this.segments;
  }

  override read(key: string, context: EvaluationContext): FlagInputs {
    return this.inputsOf(this.flags.get(key) ?? null, context);
  }

  override readOverrides(read: FlagRead, context: EvaluationContext): FlagInputs {
    return this.inputsOf(read.flag, context);
  }

  /** Expired overrides too: evaluation skips them. */
  private inputsOf(flag: FeatureFlag | null, context: EvaluationContext): FlagInputs {
    const byType = flag?.status === 'active' ? this.overrides.get(flag.id) : undefined;
    let found: FlagOverride[] | undefined;
    if (byType !== undefined) {
      for (const entityType of OVERRIDE_ENTITY_TYPES) {
        const entityId = overrideEntityId(context, entityType);
        const override = entityId && byType.get(entityType)?.get(entityId);
        if (override) (found ??= []).push(override);
      }
    }
    return { flag, overrides: found, freshness: 'fresh', segments: this.segments };
  }
}

/** The segments of a memory storage, by id and by name; also the lookup evaluation reads. */
class MemorySegments implements SegmentLookup {
  readonly byId = new Map<string, Segment>();
  readonly idByName = new Map<string, string>();

  get(ref: string): Segment | undefined {
    const byId = this.byId.get(ref);
    if (byId !== undefined) return byId;
    const id = this.idByName.get(ref);
    return id === undefined ? undefined : this.byId.get(id);
  }

  getById(id: string): Segment | undefined {
    return this.byId.get(id);
  }

  put(segment: Segment): void {
    this.byId.set(segment.id, segment);
    this.idByName.set(segment.name, segment.id);
  }

  remove(segment: Segment): void {
    this.byId.delete(segment.id);
    if (this.idByName.get(segment.name) === segment.id) this.idByName.delete(segment.name);
  }
}
