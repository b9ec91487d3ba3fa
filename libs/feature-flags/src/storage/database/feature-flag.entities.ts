import type { EntitySchema, EntitySchemaColumnOptions, ValueTransformer } from 'typeorm';
import {
  DIALECT_COLUMNS,
  JSON_TEXT,
  requireDriver,
  sqlDialect,
  type DialectColumns,
  type SupportedDatabaseType,
} from '@gatekeeper/common';
import { DEFAULT_FEATURE_FLAGS_TABLE_PREFIX } from '../../feature-flags.constants';
import type {
  FeatureFlag,
  FlagOverride,
  FlagRule,
  FlagVariant,
} from '../../models/feature-flag.model';
import type { Segment } from '../../models/segment.model';
import { scheduleEntitySchemas, type ScheduleEntitySchemas } from './schedule.entities';

/** Names the backend in the message about an unsupported DataSource. */
export const DATABASE_BACKEND = 'the feature-flags database backend';

/** Table names for a prefix; the prefix itself is validated by the module options. */
export function tableNames(tablePrefix: string) {
  return {
    flags: `${tablePrefix}flags`,
    rules: `${tablePrefix}rules`,
    variants: `${tablePrefix}variants`,
    overrides: `${tablePrefix}overrides`,
    segments: `${tablePrefix}segments`,
    environments: `${tablePrefix}environments`,
    environmentFlags: `${tablePrefix}environment_flags`,
    scheduledChanges: `${tablePrefix}scheduled_changes`,
    rolloutPhases: `${tablePrefix}rollout_phases`,
    timeSchedules: `${tablePrefix}time_schedules`,
  };
}

/** Index and constraint names, explicit so migrations and entity schemas agree on them. */
export function constraintNames(tablePrefix: string) {
  return {
    flagsKey: `${tablePrefix}flags_key_uq`,
    flagsStatus: `${tablePrefix}flags_status_idx`,
    rulesFlag: `${tablePrefix}rules_flag_idx`,
    rulesFlagFk: `${tablePrefix}rules_flag_fk`,
    variantsFlag: `${tablePrefix}variants_flag_idx`,
    variantsFlagFk: `${tablePrefix}variants_flag_fk`,
    overridesEntity: `${tablePrefix}overrides_entity_uq`,
    overridesFlagFk: `${tablePrefix}overrides_flag_fk`,
    segmentsName: `${tablePrefix}segments_name_uq`,
    segmentsParent: `${tablePrefix}segments_parent_idx`,
    environmentsSlug: `${tablePrefix}environments_slug_uq`,
    environmentsParent: `${tablePrefix}environments_parent_idx`,
    environmentFlagsPair: `${tablePrefix}environment_flags_pair_uq`,
    environmentFlagsFlag: `${tablePrefix}environment_flags_flag_idx`,
    environmentFlagsEnvironmentFk: `${tablePrefix}environment_flags_env_fk`,
    environmentFlagsFlagFk: `${tablePrefix}environment_flags_flag_fk`,
    scheduledChangesDue: `${tablePrefix}scheduled_changes_due_idx`,
    scheduledChangesFlag: `${tablePrefix}scheduled_changes_flag_idx`,
    scheduledChangesFlagFk: `${tablePrefix}scheduled_changes_flag_fk`,
    rolloutPhasesNumber: `${tablePrefix}rollout_phases_number_uq`,
    rolloutPhasesDue: `${tablePrefix}rollout_phases_due_idx`,
    rolloutPhasesFlagFk: `${tablePrefix}rollout_phases_flag_fk`,
    timeSchedulesFlag: `${tablePrefix}time_schedules_flag_idx`,
    timeSchedulesFlagFk: `${tablePrefix}time_schedules_flag_fk`,
  };
}

/** A row of `{prefix}flags`: the model without its rules and variants (their own tables). */
export type FlagRow = Omit<FeatureFlag, 'rules' | 'variants'>;

/** Where a child row sits: its flag, and `position` for the order the rules/variants were given in. */
interface ChildRow {
  flagId: string;
  position: number;
  /** The foreign key's relation; never loaded. */
  flag?: FlagRow;
}

/** A row of `{prefix}rules`. */
export type RuleRow = FlagRule & ChildRow;

/** A row of `{prefix}variants`. */
export type VariantRow = FlagVariant & ChildRow;

/** A row of `{prefix}overrides`: the model itself. */
export interface OverrideRow extends FlagOverride {
  /** The foreign key's relation; never loaded. */
  flag?: FlagRow;
}

/**
 * The entity schemas of the feature-flag tables, for a DataSource's `entities`. Their rows are
 * the storage's business: read and write flags through `FeatureFlagStorage`.
 */
export interface FeatureFlagEntities {
  flag: EntitySchema;
  rule: EntitySchema;
  variant: EntitySchema;
  override: EntitySchema;
  segment: EntitySchema;
  environment: EntitySchema;
  environmentFlag: EntitySchema;
  scheduledChange: EntitySchema;
  rolloutPhase: EntitySchema;
  timeSchedule: EntitySchema;
}

/** Internal: the same schemas, typed with their rows, for the storage. */
export interface FeatureFlagEntitySchemas
  extends Omit<FeatureFlagEntities, keyof ScheduleEntitySchemas>, ScheduleEntitySchemas {
  flag: EntitySchema<FlagRow>;
  rule: EntitySchema<RuleRow>;
  variant: EntitySchema<VariantRow>;
  override: EntitySchema<OverrideRow>;
  segment: EntitySchema<Segment>;
}

/**
 * The TypeORM entity schemas of the feature-flag tables for one database type and table prefix.
 * The storage builds them itself from a connection string; to share your own DataSource, add
 * `Object.values(featureFlagEntities(type, prefix))` to its `entities`.
 */
export function featureFlagEntities(
  type: SupportedDatabaseType,
  tablePrefix = DEFAULT_FEATURE_FLAGS_TABLE_PREFIX,
): FeatureFlagEntities {
  return featureFlagEntitySchemas(type, tablePrefix);
}

/** Internal: `featureFlagEntities`, typed with the rows. */
export function featureFlagEntitySchemas(
  type: SupportedDatabaseType,
  tablePrefix: string,
): FeatureFlagEntitySchemas {
  // Loaded here, not at import time: typeorm is an optional peer the other backends never need.
  const { EntitySchema } = requireDriver<typeof import('typeorm')>('typeorm', 'database');
  const types = DIALECT_COLUMNS[sqlDialect(type, DATABASE_BACKEND)];
  const tables = tableNames(tablePrefix);
  const names = constraintNames(tablePrefix);
  const { id, flagId, text, exact, optionalText, json, bool, double, timestamp, belongsToFlag } =
    entityColumns(types, tablePrefix);

  return {
    ...scheduleEntitySchemas(
      EntitySchema,
      entityColumns(types, tablePrefix),
      tables,
      names,
      tablePrefix,
    ),
    flag: new EntitySchema<FlagRow>({
      name: flagName(tablePrefix),
      tableName: tables.flags,
      columns: {
        id: id(),
        key: exact(),
        name: text(),
        description: optionalText(),
        flagType: { ...text(16), name: 'flag_type' },
        status: text(16),
        defaultEnabled: bool('default_enabled'),
        defaultValue: json('default_value'),
        tags: json(),
        metadata: json(),
        createdAt: timestamp('created_at'),
        updatedAt: timestamp('updated_at'),
        // Added by AddFeatureFlagVersion1796083200000; rows of 0.1/0.2 start at 1.
        version: { type: 'integer', default: 1 },
        // Added by AddFeatureFlagNamedValues1796169600000, as serveVariant.
        defaultVariant: { ...exact(), name: 'default_variant', nullable: true },
      },
      indices: [
        { name: names.flagsKey, columns: ['key'], unique: true },
        { name: names.flagsStatus, columns: ['status'] },
      ],
    }),
    rule: new EntitySchema<RuleRow>({
      name: `${tablePrefix}FlagRule`,
      tableName: tables.rules,
      columns: {
        id: id(),
        flagId: flagId(),
        position: { type: 'integer' },
        name: text(),
        description: optionalText(),
        priority: { type: 'integer' },
        enabled: bool(),
        conditions: json(),
        serveEnabled: bool('serve_enabled'),
        serveValue: json('serve_value'),
        rolloutPercentage: double('rollout_percentage', true),
        serveVariant: { ...exact(), name: 'serve_variant', nullable: true },
      },
      relations: belongsToFlag(names.rulesFlagFk),
      indices: [{ name: names.rulesFlag, columns: ['flagId'] }],
    }),
    variant: new EntitySchema<VariantRow>({
      name: `${tablePrefix}FlagVariant`,
      tableName: tables.variants,
      columns: {
        id: id(),
        flagId: flagId(),
        position: { type: 'integer' },
        key: exact(),
        name: text(),
        description: optionalText(),
        value: json(),
        weight: double(),
      },
      relations: belongsToFlag(names.variantsFlagFk),
      indices: [{ name: names.variantsFlag, columns: ['flagId'] }],
    }),
    override: new EntitySchema<OverrideRow>({
      name: `${tablePrefix}FlagOverride`,
      tableName: tables.overrides,
      columns: {
        id: id(),
        flagId: flagId(),
        entityType: { ...exact(64), name: 'entity_type' },
        entityId: { ...exact(), name: 'entity_id' },
        enabled: bool(),
        value: json(),
        expiresAt: timestamp('expires_at', true),
        createdAt: timestamp('created_at'),
        updatedAt: timestamp('updated_at'),
      },
      relations: belongsToFlag(names.overridesFlagFk),
      // Also serves the foreign key and the per-flag cascade (flag_id is its leftmost column).
      indices: [
        {
          name: names.overridesEntity,
          columns: ['flagId', 'entityType', 'entityId'],
          unique: true,
        },
      ],
    }),
    // Added by AddFeatureFlagSegments1796256000000.
    segment: new EntitySchema<Segment>({
      name: `${tablePrefix}Segment`,
      tableName: tables.segments,
      columns: {
        id: id(),
        name: exact(),
        description: optionalText(),
        conditions: json(),
        parentSegmentId: {
          type: 'varchar',
          length: 64,
          name: 'parent_segment_id',
          nullable: true,
          ...types.exactText,
        },
        enabled: bool(),
        createdAt: timestamp('created_at'),
        updatedAt: timestamp('updated_at'),
      },
      indices: [
        { name: names.segmentsName, columns: ['name'], unique: true },
        { name: names.segmentsParent, columns: ['parentSegmentId'] },
      ],
    }),
  };
}

/** Internal: the column definitions the entity schemas are made of, for one dialect. */
export function entityColumns(types: DialectColumns, tablePrefix: string) {
  const text = (length = 255): EntitySchemaColumnOptions => ({ type: 'varchar', length });
  /** A foreign key to another table's `id`, deleted with the row it references. */
  const belongsTo = (target: string, column: string, foreignKeyConstraintName: string) => ({
    type: 'many-to-one' as const,
    target,
    joinColumn: { name: column, referencedColumnName: 'id', foreignKeyConstraintName },
    onDelete: 'CASCADE' as const,
    nullable: false,
  });
  return {
    id: (): EntitySchemaColumnOptions => ({ type: 'varchar', length: 64, primary: true }),
    flagId: (): EntitySchemaColumnOptions => ({ type: 'varchar', length: 64, name: 'flag_id' }),
    text,
    exact: (length = 255): EntitySchemaColumnOptions => ({ ...text(length), ...types.exactText }),
    optionalText: (): EntitySchemaColumnOptions => ({ type: 'text', nullable: true }),
    json: (name?: string, nullable = false): EntitySchemaColumnOptions => ({
      type: types.json,
      name,
      nullable,
      // Where NULL means "not set", null is written as SQL NULL rather than the JSON text null.
      transformer: nullable ? NULLABLE_JSON_TEXT : JSON_TEXT,
    }),
    bool: (name?: string, nullable = false): EntitySchemaColumnOptions => ({
      type: 'boolean',
      name,
      nullable,
    }),
    double: (name?: string, nullable = false): EntitySchemaColumnOptions => ({
      type: types.double,
      name,
      nullable,
    }),
    timestamp: (name: string, nullable = false): EntitySchemaColumnOptions => ({
      type: types.timestamp,
      precision: types.timestampPrecision,
      name,
      nullable,
    }),
    belongsTo,
    belongsToFlag: (foreignKeyConstraintName: string) => ({
      flag: belongsTo(flagName(tablePrefix), 'flag_id', foreignKeyConstraintName),
    }),
  };
}

export type EntityColumns = ReturnType<typeof entityColumns>;

const NULLABLE_JSON_TEXT: ValueTransformer = {
  to: (value: unknown): unknown => (value === null ? null : (JSON_TEXT.to(value) as unknown)),
  from: (text: unknown): unknown => JSON_TEXT.from(text) as unknown,
};

/**
 * The entity name of the flags table, which the other schemas reference. TypeORM finds schemas by
 * name, so the storage can look up the ones a user registered on their own DataSource.
 */
export function flagName(tablePrefix: string): string {
  return `${tablePrefix}FeatureFlag`;
}
