import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DIALECT_COLUMNS, requireDriver, sqlDialect } from '@gatekeeper/common';
import { DEFAULT_FEATURE_FLAGS_TABLE_PREFIX } from '../../../feature-flags.constants';
import { constraintNames, DATABASE_BACKEND, tableNames } from '../feature-flag.entities';
import { AddFeatureFlagEnvironmentsAndSchedules1796342400000 } from './add-feature-flag-environments-schedules.migration';
import { AddFeatureFlagNamedValues1796169600000 } from './add-feature-flag-named-values.migration';
import { AddFeatureFlagSegments1796256000000 } from './add-feature-flag-segments.migration';
import { AddFeatureFlagVersion1796083200000 } from './add-feature-flag-version.migration';
import { tableColumns } from './table-columns';

const TIMESTAMP = '1767225600000';

/**
 * Creates the four feature-flag tables. Safe to run on a database that already has them (it is
 * also what `createTables: true` runs at startup), and bound to one table prefix: use
 * `featureFlagMigrations(prefix)` for a prefix other than `ff_`.
 */
export class CreateFeatureFlagTables1767225600000 implements MigrationInterface {
  /** Ends in the timestamp, as TypeORM requires; carries the prefix so each prefix is recorded. */
  readonly name: string;

  constructor(private readonly tablePrefix: string = DEFAULT_FEATURE_FLAGS_TABLE_PREFIX) {
    this.name = `CreateFeatureFlagTables_${tablePrefix}${TIMESTAMP}`;
  }

  async up(queryRunner: QueryRunner): Promise<void> {
    // Loaded lazily so that importing the library never requires the optional typeorm peer.
    const { Table, TableIndex } = requireDriver<typeof import('typeorm')>('typeorm', 'database');
    const types =
      DIALECT_COLUMNS[sqlDialect(queryRunner.connection.options.type, DATABASE_BACKEND)];
    const tables = tableNames(this.tablePrefix);
    const names = constraintNames(this.tablePrefix);
    const columns = tableColumns(types);
    const { id, text, exact, optionalText, json, bool, int, double, timestamp } = columns;
    const flagId = columns.reference('flag_id');
    const toFlags = (name: string) => columns.cascadeTo(name, 'flag_id', tables.flags);

    await queryRunner.createTable(
      new Table({
        name: tables.flags,
        columns: [
          id,
          exact('key'),
          text('name'),
          optionalText('description'),
          text('flag_type', 16),
          text('status', 16),
          bool('default_enabled'),
          json('default_value'),
          json('tags'),
          json('metadata'),
          timestamp('created_at'),
          timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({ name: names.flagsKey, columnNames: ['key'], isUnique: true }),
          // getAllActiveFlags filters on it.
          new TableIndex({ name: names.flagsStatus, columnNames: ['status'] }),
        ],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: tables.rules,
        columns: [
          id,
          flagId,
          int('position'),
          text('name'),
          optionalText('description'),
          int('priority'),
          bool('enabled'),
          json('conditions'),
          bool('serve_enabled'),
          json('serve_value'),
          double('rollout_percentage', true),
        ],
        indices: [new TableIndex({ name: names.rulesFlag, columnNames: ['flag_id'] })],
        foreignKeys: [toFlags(names.rulesFlagFk)],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: tables.variants,
        columns: [
          id,
          flagId,
          int('position'),
          exact('key'),
          text('name'),
          optionalText('description'),
          json('value'),
          double('weight'),
        ],
        indices: [new TableIndex({ name: names.variantsFlag, columnNames: ['flag_id'] })],
        foreignKeys: [toFlags(names.variantsFlagFk)],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: tables.overrides,
        columns: [
          id,
          flagId,
          exact('entity_type', 64),
          exact('entity_id'),
          bool('enabled'),
          json('value'),
          timestamp('expires_at', true),
          timestamp('created_at'),
          timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({
            name: names.overridesEntity,
            columnNames: ['flag_id', 'entity_type', 'entity_id'],
            isUnique: true,
          }),
        ],
        foreignKeys: [toFlags(names.overridesFlagFk)],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const tables = tableNames(this.tablePrefix);
    // Children first: their foreign keys point at the flags table.
    for (const table of [tables.overrides, tables.variants, tables.rules, tables.flags]) {
      await queryRunner.dropTable(table, true);
    }
  }
}

/**
 * The migrations of the feature-flag tables for a table prefix, oldest first, for your
 * DataSource's `migrations` (TypeORM instantiates them itself, hence one class per prefix).
 */
export function featureFlagMigrations(
  tablePrefix: string = DEFAULT_FEATURE_FLAGS_TABLE_PREFIX,
): Array<new () => MigrationInterface> {
  const shipped: Array<new (tablePrefix?: string) => MigrationInterface> = [
    CreateFeatureFlagTables1767225600000,
    AddFeatureFlagVersion1796083200000,
    AddFeatureFlagNamedValues1796169600000,
    AddFeatureFlagSegments1796256000000,
    AddFeatureFlagEnvironmentsAndSchedules1796342400000,
  ];
  if (tablePrefix === DEFAULT_FEATURE_FLAGS_TABLE_PREFIX) return shipped;
  return shipped.map(
    (Migration) =>
      class extends Migration {
        constructor() {
          super(tablePrefix);
        }
      },
  );
}
