import { overrideEntityId } from '../evaluation/evaluation-context';
import type { EnvironmentView } from '../evaluation/environments';
import type { ScheduleLookup } from '../evaluation/schedule-index';
import type { SegmentLookup } from '../evaluation/segments';
import type { EvaluationContext } from '../models/evaluation.model';
import {
  OVERRIDE_ENTITY_TYPES,
  type FeatureFlag,
  type FlagOverride,
} from '../models/feature-flag.model';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import { inView, StorageFlagSource, type FlagInputs, type FlagRead } from './flag-source';
import type { MemoryEnvironments } from './memory-environments';
import type { MemorySegments } from './memory-segments';
import type { MemorySchedules } from './memory-schedules';

/** flagId → entityType → entityId → override: lookups build no key string. */
export type OverridesByFlag = Map<string, Map<string, Map<string, FlagOverride>>>;

/** The records of a memory storage that evaluation reads. */
export interface MemoryRecords {
  flags: Map<string, FeatureFlag>;
  overrides: OverridesByFlag;
  segments: MemorySegments;
  environments: MemoryEnvironments;
  schedules: MemorySchedules;
}

/**
 * Answers evaluations from the memory storage's own records, synchronously (evaluation never
 * changes them); bulk reads go through the storage's methods.
 */
export class MemoryFlagSource extends StorageFlagSource {
  private readonly scheduleLookup: ScheduleLookup;

  constructor(
    storage: FeatureFlagStorage,
    private readonly records: MemoryRecords,
  ) {
    super(storage);
    const schedules = records.schedules;
    this.scheduleLookup = { of: (flagId) => schedules.timeSchedulesOf(flagId) };
  }

  override read(key: string, context: EvaluationContext): FlagInputs {
    const flag = this.records.flags.get(key) ?? null;
    const environment = this.readEnvironment(context.environment);
    return this.inputsOf(flag && inView(flag, environment), context);
  }

  override readOverrides(read: FlagRead, context: EvaluationContext): FlagInputs {
    return this.inputsOf(inView(read.flag, read.environment), context);
  }

  /** The records themselves, in process. */
  protected override readSegments(): SegmentLookup {
    return this.records.segments;
  }

  protected override readSchedules(): ScheduleLookup {
    return this.scheduleLookup;
  }

  protected override readEnvironment(slug: string | undefined): EnvironmentView | undefined {
    return slug === undefined ? undefined : this.records.environments.view(slug);
  }

  /** Expired overrides too: evaluation skips them. */
  private inputsOf(flag: FeatureFlag | null, context: EvaluationContext): FlagInputs {
    const active = flag?.status === 'active';
    const byType = active ? this.records.overrides.get(flag.id) : undefined;
    let found: FlagOverride[] | undefined;
    if (byType !== undefined) {
      for (const entityType of OVERRIDE_ENTITY_TYPES) {
        const entityId = overrideEntityId(context, entityType);
        const override = entityId && byType.get(entityType)?.get(entityId);
        if (override) (found ??= []).push(override);
      }
    }
    const inputs: FlagInputs = {
      flag,
      overrides: found,
      freshness: 'fresh',
      segments: this.records.segments,
    };
    const schedules = active ? this.records.schedules.timeSchedulesOf(flag.id) : undefined;
    if (schedules !== undefined) inputs.schedules = schedules;
    return inputs;
  }
}
