import type { ObjectLiteral } from 'typeorm';
import { SqlStorage, uniqueViolation } from '@gatekeeper/common';
import { DEFAULT_FEATURE_FLAGS_TABLE_PREFIX } from '../../feature-flags.constants';
import {
  buildFlag,
  buildOverride,
  isOverrideExpired,
  isStorableKey,
  isStorableOverrideRef,
  type CreateFlagInput,
  type CreateOverrideInput,
  type FeatureFlag,
  type FlagOverride,
  type UpdateFlagInput,
} from '../../models/feature-flag.model';
import type {
  CreateEnvironmentFlagInput,
  CreateEnvironmentInput,
  Environment,
  EnvironmentFlag,
  UpdateEnvironmentFlagInput,
  UpdateEnvironmentInput,
} from '../../models/environment.model';
import type {
  CreateRolloutPhaseInput,
  CreateScheduledChangeInput,
  RolloutPhase,
  ScheduledFlagChange,
  UpdateScheduledChangeInput,
} from '../../models/scheduled-change.model';
import type { CreateTimeScheduleInput, TimeSchedule } from '../../models/time-schedule.model';
import type { CreateSegmentInput, Segment, UpdateSegmentInput } from '../../models/segment.model';
import type { FeatureFlagStorage } from '../feature-flag-storage.interface';
import {
  FlagAlreadyExistsError,
  FlagNotFoundError,
  FlagVersionConflictError,
} from '../storage.errors';
import { featureFlagEntitySchemas } from './feature-flag.entities';
import { DatabaseStorageBase } from './database-base.storage';
import {
  flagRow,
  insertChildren,
  loadFlags,
  overriddenFlagIds,
  overrideQuery,
  rewriteFlag,
  toOverride,
} from './flag.queries';
import type { CreateDatabaseFeatureFlagStorageOptions } from './database.options';

/**
 * Flags in SQL tables through TypeORM: PostgreSQL, MySQL/MariaDB or SQLite (better-sqlite3).
 *
 * `DatabaseFeatureFlagStorage.create({ connectionString })` opens (and on `close()` destroys) its own
 * DataSource. `new DatabaseFeatureFlagStorage(dataSource)` shares one you already have, for instance
 * TypeOrmModule's; it must list `featureFlagEntities(type, prefix)` among its entities and is never
 * destroyed by the storage.
 *
 * A flag is one row plus its rules and variants in two child tables, written in one transaction;
 * reads load them in three queries whatever the number of flags. Segments, environments and
 * schedules have tables (and helpers: `DatabaseSegments`, `DatabaseEnvironments`,
 * `DatabaseSchedules`) of their own, kept with the schema and the transaction rules in
 * `DatabaseStorageBase`.
 */
export class DatabaseFeatureFlagStorage extends DatabaseStorageBase implements FeatureFlagStorage {
  /** Opens a DataSource for `connectionString`, creates the tables unless told not to. */
  static async create(
    options: CreateDatabaseFeatureFlagStorageOptions,
  ): Promise<DatabaseFeatureFlagStorage> {
    const tablePrefix = options.tablePrefix ?? DEFAULT_FEATURE_FLAGS_TABLE_PREFIX;
    return SqlStorage.connect(
      options,
      (type) => featureFlagEntitySchemas(type, tablePrefix),
      (dataSource) => new DatabaseFeatureFlagStorage(dataSource, { tablePrefix }),
      options.createTables,
    );
  }

  async getFlag(key: string): Promise<FeatureFlag | null> {
    return (await this.getFlags([key])).get(key) ?? null;
  }

  async getFlags(keys: readonly string[]): Promise<Map<string, FeatureFlag>> {
    // A key no flag could have is simply absent (PostgreSQL would fail on a NUL byte).
    const unique = [...new Set(keys)].filter((key) => isStorableKey(key));
    if (unique.length === 0) return new Map();
    const flags = await loadFlags(this.open().manager, this.entities, 'f.key IN (:...keys)', {
      keys: unique,
    });
    return new Map(flags.map((flag) => [flag.key, flag]));
  }

  async getAllActiveFlags(): Promise<FeatureFlag[]> {
    return loadFlags(this.open().manager, this.entities, 'f.status = :status', {
      status: 'active',
    });
  }

  async getOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): Promise<FlagOverride | null> {
    if (!isStorableOverrideRef(flagId, entityType, entityId)) return null;
    const row = await overrideQuery(
      this.open().manager,
      this.entities,
      flagId,
      entityType,
      entityId,
    ).getOne();
    return row && !isOverrideExpired(row) ? toOverride(row) : null;
  }

  async createFlag(input: CreateFlagInput): Promise<FeatureFlag> {
    const flag = buildFlag({ ...input, version: 1 });
    await this.transaction(async (manager) => {
      try {
        await manager.insert<ObjectLiteral>(this.entities.flag, flagRow(flag));
      } catch (error) {
        // The unique index decides, so two concurrent creates cannot both win.
        if (uniqueViolation(error)) throw new FlagAlreadyExistsError(flag.key);
        throw error;
      }
      await insertChildren(manager, this.entities, flag);
    });
    return flag;
  }

  /** One transaction: the flag row is locked and its version checked, then `rewriteFlag`. */
  async updateFlag(flag: UpdateFlagInput): Promise<FeatureFlag> {
    if (!isStorableKey(flag.key)) throw new FlagNotFoundError(flag.key);
    return this.transaction(async (manager) => {
      // Locking the row serialises concurrent updates of one flag, so their child rows never mix.
      const stored = await this.lockForUpdate(
        manager
          .createQueryBuilder(this.entities.flag, 'f')
          .where('f.key = :key', { key: flag.key }),
      ).getOne();
      if (!stored) throw new FlagNotFoundError(flag.key);
      const expected = flag.version ?? stored.version;
      if (expected !== stored.version) {
        throw new FlagVersionConflictError(flag.key, expected, stored.version);
      }
      return rewriteFlag(manager, this.entities, stored, flag, expected);
    });
  }

  async deleteFlag(key: string): Promise<boolean> {
    if (!isStorableKey(key)) return false;
    // Everything that belongs to it goes with it: ON DELETE CASCADE (TypeORM turns SQLite's
    // foreign keys on).
    const result = await this.write(() => this.open().manager.delete(this.entities.flag, { key }));
    return (result.affected ?? 0) > 0;
  }

  async createOverride(input: CreateOverrideInput): Promise<FlagOverride> {
    // Validated before any query, so a NUL in an id is InvalidFlagError, not a driver error.
    buildOverride(input);
    return this.transaction(async (manager) => {
      const { flagId, entityType, entityId } = input;
      const stored = await this.lockForUpdate(
        overrideQuery(manager, this.entities, flagId, entityType, entityId),
      ).getOne();
      const live = stored && !isOverrideExpired(stored) ? stored : undefined;
      // An upsert keeps the identity of the live override it replaces.
      const override = buildOverride({
        ...input,
        id: live?.id ?? input.id,
        createdAt: live?.createdAt ?? input.createdAt,
      });
      // An upsert rather than an insert: a concurrent create of the same entity may have
      // inserted since the read (there was no row to lock); the last writer wins.
      await manager.upsert<ObjectLiteral>(this.entities.override, override, [
        'flagId',
        'entityType',
        'entityId',
      ]);
      return override;
    });
  }

  async deleteOverride(flagId: string, entityType: string, entityId: string): Promise<boolean> {
    if (!isStorableOverrideRef(flagId, entityType, entityId)) return false;
    const result = await this.write(() =>
      this.open().manager.delete(this.entities.override, { flagId, entityType, entityId }),
    );
    return (result.affected ?? 0) > 0;
  }

  async getOverriddenFlagIds(): Promise<string[]> {
    return overriddenFlagIds(this.open().manager, this.entities);
  }

  async getSegment(id: string): Promise<Segment | null> {
    return this.segments.get(id);
  }

  async getSegmentByName(name: string): Promise<Segment | null> {
    return this.segments.getByName(name);
  }

  async getAllSegments(): Promise<Segment[]> {
    return this.segments.all();
  }

  async getChildSegments(parentId: string): Promise<Segment[]> {
    return this.segments.children(parentId);
  }

  async createSegment(input: CreateSegmentInput): Promise<Segment> {
    return this.segments.create(input);
  }

  async updateSegment(input: UpdateSegmentInput): Promise<Segment> {
    return this.segments.update(input);
  }

  async deleteSegment(id: string): Promise<boolean> {
    return this.segments.delete(id);
  }

  async getEnvironment(slug: string): Promise<Environment | null> {
    return this.environments.get(slug);
  }

  async getEnvironmentById(id: string): Promise<Environment | null> {
    return this.environments.getById(id);
  }

  async getAllEnvironments(): Promise<Environment[]> {
    return this.environments.all();
  }

  async getChildEnvironments(parentId: string): Promise<Environment[]> {
    return this.environments.children(parentId);
  }

  async createEnvironment(input: CreateEnvironmentInput): Promise<Environment> {
    return this.environments.create(input);
  }

  async updateEnvironment(input: UpdateEnvironmentInput): Promise<Environment> {
    return this.environments.update(input);
  }

  async deleteEnvironment(slug: string): Promise<boolean> {
    return this.environments.delete(slug);
  }

  async getEnvironmentFlag(environmentId: string, flagId: string): Promise<EnvironmentFlag | null> {
    return this.environments.getFlag(environmentId, flagId);
  }

  async getEnvironmentFlags(environmentId: string): Promise<EnvironmentFlag[]> {
    return this.environments.flagsOf(environmentId);
  }

  async getFlagEnvironments(flagId: string): Promise<EnvironmentFlag[]> {
    return this.environments.environmentsOf(flagId);
  }

  async createEnvironmentFlag(input: CreateEnvironmentFlagInput): Promise<EnvironmentFlag> {
    return this.environments.createFlag(input);
  }

  async updateEnvironmentFlag(input: UpdateEnvironmentFlagInput): Promise<EnvironmentFlag> {
    return this.environments.updateFlag(input);
  }

  async deleteEnvironmentFlag(environmentId: string, flagId: string): Promise<boolean> {
    return this.environments.deleteFlag(environmentId, flagId);
  }

  async getScheduledChanges(flagId?: string, pendingOnly = true): Promise<ScheduledFlagChange[]> {
    return this.schedules.getChanges(flagId, pendingOnly);
  }

  async createScheduledChange(input: CreateScheduledChangeInput): Promise<ScheduledFlagChange> {
    return this.schedules.createChange(input);
  }

  async updateScheduledChange(input: UpdateScheduledChangeInput): Promise<ScheduledFlagChange> {
    return this.schedules.updateChange(input);
  }

  async deleteScheduledChange(id: string): Promise<boolean> {
    return this.schedules.deleteChange(id);
  }

  async applyScheduledChange(id: string, now: Date): Promise<FeatureFlag | null> {
    return this.schedules.applyChange(id, now);
  }

  async getRolloutPhases(flagId?: string): Promise<RolloutPhase[]> {
    return this.schedules.getPhases(flagId);
  }

  async createRolloutPhase(input: CreateRolloutPhaseInput): Promise<RolloutPhase> {
    return this.schedules.createPhase(input);
  }

  async deleteRolloutPhase(id: string): Promise<boolean> {
    return this.schedules.deletePhase(id);
  }

  async applyRolloutPhase(id: string, now: Date): Promise<FeatureFlag | null> {
    return this.schedules.applyPhase(id, now);
  }

  async getTimeSchedules(flagId?: string): Promise<TimeSchedule[]> {
    return this.schedules.getTimeSchedules(flagId);
  }

  async createTimeSchedule(input: CreateTimeScheduleInput): Promise<TimeSchedule> {
    return this.schedules.createTimeSchedule(input);
  }

  async deleteTimeSchedule(id: string): Promise<boolean> {
    return this.schedules.deleteTimeSchedule(id);
  }
}
