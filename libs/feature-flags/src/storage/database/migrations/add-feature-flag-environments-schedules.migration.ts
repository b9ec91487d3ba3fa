import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DIALECT_COLUMNS, requireDriver, sqlDialect } from '@gatekeeper/common';
import { DEFAULT_FEATURE_FLAGS_TABLE_PREFIX } from '../../../feature-flags.constants';
import { constraintNames, DATABASE_BACKEND, tableNames } from '../feature-flag.entities';
import { tableColumns } from './table-columns';

const TIMESTAMP = '1796342400000';

/**
 * 0.5: environments and schedules. Creates `{prefix}environments`, `{prefix}environment_flags`,
 * `{prefix}scheduled_changes`, `{prefix}rollout_phases` and `{prefix}time_schedules`, each row
 * deleted with the flag (or environment) it belongs to; no existing table is touched. Safe to run
 * again, bound to one table prefix like the others.
 */
export class AddFeatureFlagEnvironmentsAndSchedules1796342400000 implements MigrationInterface {
  readonly name: string;

  constructor(private readonly tablePrefix: string = DEFAULT_FEATURE_FLAGS_TABLE_PREFIX) {
    this.name = `AddFeatureFlagEnvironmentsAndSchedules_${tablePrefix}${TIMESTAMP}`;
  }

  async up(queryRunner: QueryRunner): Promise<void> {
    // Loaded lazily so that importing the library never requires the optional typeorm peer.
    const { Table, TableIndex } = requireDriver<typeof import('typeorm')>('typeorm', 'database');
    const types =
      DIALECT_COLUMNS[sqlDialect(queryRunner.connection.options.type, DATABASE_BACKEND)];
    const tables = tableNames(this.tablePrefix);
    const names = constraintNames(this.tablePrefix);
    const columns = tableColumns(types);
    const { id, reference, text, exact, optionalText, json, bool, int, double, timestamp } =
      columns;
    const flagId = reference('flag_id');
    const toFlags = (name: string) => columns.cascadeTo(name, 'flag_id', tables.flags);
    const stamps = [timestamp('created_at'), timestamp('updated_at')];
    const execution = [timestamp('scheduled_at'), bool('executed'), timestamp('executed_at', true)];
    // The scheduler's due query: pending items by time.
    const due = (name: string) =>
      new TableIndex({ name, columnNames: ['executed', 'scheduled_at'] });

    await queryRunner.createTable(
      new Table({
        name: tables.environments,
        columns: [
          id,
          text('name'),
          exact('slug', 64),
          optionalText('description'),
          exact('parent_id', 64, true),
          json('settings'),
          bool('is_active'),
          ...stamps,
        ],
        indices: [
          new TableIndex({ name: names.environmentsSlug, columnNames: ['slug'], isUnique: true }),
          // getChildEnvironments filters on it.
          new TableIndex({ name: names.environmentsParent, columnNames: ['parent_id'] }),
        ],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: tables.environmentFlags,
        columns: [
          id,
          reference('environment_id'),
          flagId,
          bool('enabled', true),
          double('percentage', true),
          json('rules', true),
          json('variants', true),
          ...stamps,
        ],
        indices: [
          // Also serves the environment's foreign key and cascade (its leftmost column).
          new TableIndex({
            name: names.environmentFlagsPair,
            columnNames: ['environment_id', 'flag_id'],
            isUnique: true,
          }),
          new TableIndex({ name: names.environmentFlagsFlag, columnNames: ['flag_id'] }),
        ],
        foreignKeys: [
          columns.cascadeTo(
            names.environmentFlagsEnvironmentFk,
            'environment_id',
            tables.environments,
          ),
          toFlags(names.environmentFlagsFlagFk),
        ],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: tables.scheduledChanges,
        columns: [
          id,
          flagId,
          text('change_type', 16),
          ...execution,
          json('new_value'),
          double('new_rollout_percentage', true),
          text('created_by', 255, true),
          ...stamps,
        ],
        indices: [
          due(names.scheduledChangesDue),
          new TableIndex({ name: names.scheduledChangesFlag, columnNames: ['flag_id'] }),
        ],
        foreignKeys: [toFlags(names.scheduledChangesFlagFk)],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: tables.rolloutPhases,
        columns: [
          id,
          flagId,
          int('phase_number'),
          double('target_percentage'),
          ...execution,
          ...stamps,
        ],
        indices: [
          // Also serves the foreign key and the per-flag cascade.
          new TableIndex({
            name: names.rolloutPhasesNumber,
            columnNames: ['flag_id', 'phase_number'],
            isUnique: true,
          }),
          due(names.rolloutPhasesDue),
        ],
        foreignKeys: [toFlags(names.rolloutPhasesFlagFk)],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: tables.timeSchedules,
        columns: [
          id,
          flagId,
          text('name'),
          text('recurrence_type', 16),
          text('start_time', 5, true),
          text('end_time', 5, true),
          json('days_of_week', true),
          json('days_of_month', true),
          text('cron_expression', 255, true),
          text('timezone', 64),
          bool('enabled'),
          ...stamps,
        ],
        indices: [new TableIndex({ name: names.timeSchedulesFlag, columnNames: ['flag_id'] })],
        foreignKeys: [toFlags(names.timeSchedulesFlagFk)],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const tables = tableNames(this.tablePrefix);
    // Environment flags before environments: their foreign key points there.
    for (const table of [
      tables.timeSchedules,
      tables.rolloutPhases,
      tables.scheduledChanges,
      tables.environmentFlags,
      tables.environments,
    ]) {
      await queryRunner.dropTable(table, true);
    }
  }
}
