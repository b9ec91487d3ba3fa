import type { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import {
  GatekeeperConfigError,
  SqlStorage,
  uniqueViolation,
  type SupportedDatabaseType,
} from '@gatekeeper/common';
import { DEFAULT_FEATURE_FLAGS_TABLE_PREFIX } from '../../feature-flags.constants';
import {
  buildFlag,
  buildOverride,
  FLAG_LIMITS,
  isOverrideExpired,
  isStorableKey,
  isStorableOverrideRef,
  type CreateFlagInput,
  type CreateOverrideInput,
  type FeatureFlag,
  type FlagOverride,
  type UpdateFlagInput,
} from '../../models/feature-flag.model';
import {
  buildSegment,
  sortByName,
  type CreateSegmentInput,
  type Segment,
  type UpdateSegmentInput,
} from '../../models/segment.model';
import type { FeatureFlagStorage } from '../feature-flag-storage.interface';
import {
  FeatureFlagStorageError,
  FlagAlreadyExistsError,
  FlagNotFoundError,
  FlagVersionConflictError,
  InvalidFlagError,
  SegmentAlreadyExistsError,
  SegmentNotFoundError,
} from '../storage.errors';
import {
  DATABASE_BACKEND,
  featureFlagEntitySchemas,
  type FeatureFlagEntitySchemas,
} from './feature-flag.entities';
import {
  childRows,
  flagRow,
  loadFlags,
  overrideQuery,
  toOverride,
  toSegment,
} from './flag.queries';
import type {
  CreateDatabaseFeatureFlagStorageOptions,
  DatabaseFeatureFlagStorageOptions,
} from './database.options';
import { featureFlagMigrations } from './migrations/create-feature-flag-tables.migration';

/**
 * Flags in SQL tables through TypeORM: PostgreSQL, MySQL/MariaDB or SQLite (better-sqlite3).
 *
 * `DatabaseFeatureFlagStorage.create({ connectionString })` opens (and on `close()` destroys) its own
 * DataSource. `new DatabaseFeatureFlagStorage(dataSource)` shares one you already have, for instance
 * TypeOrmModule's; it must list `featureFlagEntities(type, prefix)` among its entities and is never
 * destroyed by the storage.
 *
 * A flag is one row plus its rules and variants in two child tables, written in one transaction;
 * reads load them in three queries whatever the number of flags.
 */
export class DatabaseFeatureFlagStorage extends SqlStorage implements FeatureFlagStorage {
  private readonly entities: FeatureFlagEntitySchemas;

  constructor(dataSource: DataSource, options: DatabaseFeatureFlagStorageOptions = {}) {
    super(dataSource, options.tablePrefix ?? DEFAULT_FEATURE_FLAGS_TABLE_PREFIX, DATABASE_BACKEND);
    const type = dataSource.options.type as SupportedDatabaseType;
    this.entities = featureFlagEntitySchemas(type, this.tablePrefix);
    const { flag, rule, variant, override, segment } = this.entities;
    const names = [flag, rule, variant, override, segment].map((schema) => schema.options.name);
    if (!names.every((name) => dataSource.hasMetadata(name))) {
      throw new GatekeeperConfigError(
        `the DataSource does not know the feature-flag entities for tablePrefix ` +
          `'${this.tablePrefix}': add ...Object.values(featureFlagEntities('${type}', ` +
          `'${this.tablePrefix}')) to its entities`,
      );
    }
  }

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

  /**
   * Creates the tables that do not exist yet and upgrades those of an older version (0.1/0.2
   * tables get their `version` column) with the shipped migrations, keeping every row. Teams that
   * manage their schema with TypeORM migrations add `featureFlagMigrations(prefix)` to theirs instead.
   */
  async createTables(): Promise<void> {
    this.open();
    const lock = `${this.tablePrefix}feature_flags_schema`;
    for (const Migration of featureFlagMigrations(this.tablePrefix)) {
      await this.runMigration(lock, new Migration());
    }
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
      await this.insertChildren(manager, flag);
    });
    return flag;
  }

  /**
   * One transaction: the flag row is locked and its version checked, then rewritten with
   * `UPDATE … WHERE id = ? AND version = ?` (the compare-and-set itself, which also holds where
   * nothing is locked: SQLite shared by several processes) and its rules and variants replaced.
   */
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
      const updated = buildFlag({
        ...flag,
        id: stored.id,
        createdAt: stored.createdAt,
        version: stored.version + 1,
      });
      const { id, ...changes } = flagRow(updated);
      const result = await manager.update<ObjectLiteral>(
        this.entities.flag,
        { id, version: stored.version },
        changes,
      );
      if (result.affected !== 1) {
        const now = await manager.findOneBy<ObjectLiteral>(this.entities.flag, { id });
        throw new FlagVersionConflictError(flag.key, expected, Number(now?.version ?? 0));
      }
      await manager.delete(this.entities.rule, { flagId: id });
      await manager.delete(this.entities.variant, { flagId: id });
      await this.insertChildren(manager, updated);
      return updated;
    });
  }

  async deleteFlag(key: string): Promise<boolean> {
    if (!isStorableKey(key)) return false;
    // Rules, variants and overrides go with it: ON DELETE CASCADE.
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

  async getSegment(id: string): Promise<Segment | null> {
    if (!isStorableKey(id, FLAG_LIMITS.idLength)) return null;
    const row = await this.open().manager.findOneBy(this.entities.segment, { id });
    return row && toSegment(row);
  }

  async getSegmentByName(name: string): Promise<Segment | null> {
    if (!isStorableKey(name, FLAG_LIMITS.nameLength)) return null;
    const row = await this.open().manager.findOneBy(this.entities.segment, { name });
    return row && toSegment(row);
  }

  async getAllSegments(): Promise<Segment[]> {
    const rows = await this.open().manager.find(this.entities.segment);
    // Sorted here: ORDER BY follows the database's collation, which differs between backends.
    return sortByName(rows.map(toSegment));
  }

  /** All segments, filtered here: segments are few and read together. */
  async getChildSegments(parentId: string): Promise<Segment[]> {
    return (await this.getAllSegments()).filter((segment) => segment.parentSegmentId === parentId);
  }

  async createSegment(input: CreateSegmentInput): Promise<Segment> {
    const segment = buildSegment(input);
    try {
      await this.write(() =>
        this.open().manager.insert<ObjectLiteral>(this.entities.segment, segment),
      );
    } catch (error) {
      // The unique index decides, so two concurrent creates cannot both win.
      if (!uniqueViolation(error)) throw error;
      if (input.id !== undefined && (await this.getSegment(segment.id))) {
        throw new InvalidFlagError(`a segment with id "${segment.id}" already exists`, 'id');
      }
      throw new SegmentAlreadyExistsError(segment.name);
    }
    return segment;
  }

  async updateSegment(input: UpdateSegmentInput): Promise<Segment> {
    if (!isStorableKey(input.id, FLAG_LIMITS.idLength)) throw new SegmentNotFoundError(input.id);
    return this.transaction(async (manager) => {
      const stored = await this.lockForUpdate(
        manager
          .createQueryBuilder(this.entities.segment, 's')
          .where('s.id = :id', { id: input.id }),
      ).getOne();
      if (!stored) throw new SegmentNotFoundError(input.id);
      const segment = buildSegment({ ...input, createdAt: stored.createdAt });
      const { id, ...changes } = segment;
      try {
        await manager.update<ObjectLiteral>(this.entities.segment, { id }, changes);
      } catch (error) {
        if (uniqueViolation(error)) throw new SegmentAlreadyExistsError(segment.name);
        throw error;
      }
      return segment;
    });
  }

  async deleteSegment(id: string): Promise<boolean> {
    if (!isStorableKey(id, FLAG_LIMITS.idLength)) return false;
    const result = await this.write(() =>
      this.open().manager.delete(this.entities.segment, { id }),
    );
    return (result.affected ?? 0) > 0;
  }

  private transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.write(() => this.open().transaction(work));
  }

  private open(): DataSource {
    if (this.closed) throw new FeatureFlagStorageError('the feature flag storage is closed');
    return this.dataSource;
  }

  /** SELECT … FOR UPDATE; SQLite has no row locks (and only one writer at a time anyway). */
  private lockForUpdate<T extends ObjectLiteral>(
    query: SelectQueryBuilder<T>,
  ): SelectQueryBuilder<T> {
    return this.dialect === 'sqlite' ? query : query.setLock('pessimistic_write');
  }

  private async insertChildren(manager: EntityManager, flag: FeatureFlag): Promise<void> {
    const { rules, variants } = childRows(flag);
    // One multi-row INSERT per table. (Here and at the other writes, `<ObjectLiteral>` spares the
    // compiler TypeORM's deep-partial type of the recursive JsonValue, which it cannot expand.)
    if (rules.length > 0) await manager.insert<ObjectLiteral>(this.entities.rule, rules);
    if (variants.length > 0) await manager.insert<ObjectLiteral>(this.entities.variant, variants);
  }
}
