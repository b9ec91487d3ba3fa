import type { EntitySchema } from 'typeorm';
import type { Environment, EnvironmentFlag } from '../../models/environment.model';
import type { RolloutPhase, ScheduledFlagChange } from '../../models/scheduled-change.model';
import type { TimeSchedule } from '../../models/time-schedule.model';
import type { constraintNames, EntityColumns, FlagRow, tableNames } from './feature-flag.entities';

/** A row of `{prefix}environment_flags`; rules and variants are JSON, NULL when inherited. */
export interface EnvironmentFlagRow extends EnvironmentFlag {
  /** The foreign keys' relations; never loaded. */
  environment?: Environment;
  flag?: FlagRow;
}

/** A row of `{prefix}scheduled_changes`. */
export interface ScheduledChangeRow extends ScheduledFlagChange {
  /** The foreign key's relation; never loaded. */
  flag?: FlagRow;
}

/** A row of `{prefix}rollout_phases`. */
export interface RolloutPhaseRow extends RolloutPhase {
  /** The foreign key's relation; never loaded. */
  flag?: FlagRow;
}

/** A row of `{prefix}time_schedules`; the day lists are JSON, NULL when the recurrence has none. */
export interface TimeScheduleRow extends TimeSchedule {
  /** The foreign key's relation; never loaded. */
  flag?: FlagRow;
}

/** Internal: the schemas of the tables added by AddFeatureFlagEnvironmentsAndSchedules1796342400000. */
export interface ScheduleEntitySchemas {
  environment: EntitySchema<Environment>;
  environmentFlag: EntitySchema<EnvironmentFlagRow>;
  scheduledChange: EntitySchema<ScheduledChangeRow>;
  rolloutPhase: EntitySchema<RolloutPhaseRow>;
  timeSchedule: EntitySchema<TimeScheduleRow>;
}

/** Internal: part of `featureFlagEntitySchemas`, which hands over its column definitions. */
export function scheduleEntitySchemas(
  EntitySchemaClass: typeof EntitySchema,
  columns: EntityColumns,
  tables: ReturnType<typeof tableNames>,
  names: ReturnType<typeof constraintNames>,
  tablePrefix: string,
): ScheduleEntitySchemas {
  const { id, flagId, text, exact, optionalText, json, bool, double, timestamp } = columns;
  const { belongsTo, belongsToFlag } = columns;
  const environmentName = `${tablePrefix}Environment`;
  const stamps = () => ({ createdAt: timestamp('created_at'), updatedAt: timestamp('updated_at') });
  const execution = () => ({
    scheduledAt: timestamp('scheduled_at'),
    executed: bool(),
    executedAt: timestamp('executed_at', true),
  });
  // The scheduler's due query: pending items by time.
  const due = (name: string) => ({ name, columns: ['executed', 'scheduledAt'] });

  return {
    environment: new EntitySchemaClass<Environment>({
      name: environmentName,
      tableName: tables.environments,
      columns: {
        id: id(),
        name: text(),
        slug: exact(64),
        description: optionalText(),
        parentId: { ...exact(64), name: 'parent_id', nullable: true },
        settings: json(),
        isActive: bool('is_active'),
        ...stamps(),
      },
      indices: [
        { name: names.environmentsSlug, columns: ['slug'], unique: true },
        { name: names.environmentsParent, columns: ['parentId'] },
      ],
    }),
    environmentFlag: new EntitySchemaClass<EnvironmentFlagRow>({
      name: `${tablePrefix}EnvironmentFlag`,
      tableName: tables.environmentFlags,
      columns: {
        id: id(),
        environmentId: { type: 'varchar', length: 64, name: 'environment_id' },
        flagId: flagId(),
        enabled: bool('enabled', true),
        percentage: double('percentage', true),
        rules: json('rules', true),
        variants: json('variants', true),
        ...stamps(),
      },
      relations: {
        environment: belongsTo(
          environmentName,
          'environment_id',
          names.environmentFlagsEnvironmentFk,
        ),
        ...belongsToFlag(names.environmentFlagsFlagFk),
      },
      // The pair index also serves the environment's foreign key and cascade.
      indices: [
        {
          name: names.environmentFlagsPair,
          columns: ['environmentId', 'flagId'],
          unique: true,
        },
        { name: names.environmentFlagsFlag, columns: ['flagId'] },
      ],
    }),
    scheduledChange: new EntitySchemaClass<ScheduledChangeRow>({
      name: `${tablePrefix}ScheduledFlagChange`,
      tableName: tables.scheduledChanges,
      columns: {
        id: id(),
        flagId: flagId(),
        changeType: { ...text(16), name: 'change_type' },
        ...execution(),
        newValue: json('new_value'),
        newRolloutPercentage: double('new_rollout_percentage', true),
        createdBy: { ...text(), name: 'created_by', nullable: true },
        ...stamps(),
      },
      relations: belongsToFlag(names.scheduledChangesFlagFk),
      indices: [
        due(names.scheduledChangesDue),
        { name: names.scheduledChangesFlag, columns: ['flagId'] },
      ],
    }),
    rolloutPhase: new EntitySchemaClass<RolloutPhaseRow>({
      name: `${tablePrefix}RolloutPhase`,
      tableName: tables.rolloutPhases,
      columns: {
        id: id(),
        flagId: flagId(),
        phaseNumber: { type: 'integer', name: 'phase_number' },
        targetPercentage: double('target_percentage'),
        ...execution(),
        ...stamps(),
      },
      relations: belongsToFlag(names.rolloutPhasesFlagFk),
      // The number index also serves the foreign key and the per-flag cascade.
      indices: [
        { name: names.rolloutPhasesNumber, columns: ['flagId', 'phaseNumber'], unique: true },
        due(names.rolloutPhasesDue),
      ],
    }),
    timeSchedule: new EntitySchemaClass<TimeScheduleRow>({
      name: `${tablePrefix}TimeSchedule`,
      tableName: tables.timeSchedules,
      columns: {
        id: id(),
        flagId: flagId(),
        name: text(),
        recurrenceType: { ...text(16), name: 'recurrence_type' },
        startTime: { ...text(5), name: 'start_time', nullable: true },
        endTime: { ...text(5), name: 'end_time', nullable: true },
        daysOfWeek: json('days_of_week', true),
        daysOfMonth: json('days_of_month', true),
        cronExpression: { ...text(), name: 'cron_expression', nullable: true },
        timezone: text(64),
        enabled: bool(),
        ...stamps(),
      },
      relations: belongsToFlag(names.timeSchedulesFlagFk),
      indices: [{ name: names.timeSchedulesFlag, columns: ['flagId'] }],
    }),
  };
}
