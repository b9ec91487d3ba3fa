import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DIALECT_COLUMNS, requireDriver, sqlDialect } from '@gatekeeper/common';
import { DEFAULT_FEATURE_FLAGS_TABLE_PREFIX } from '../../../feature-flags.constants';
import { constraintNames, DATABASE_BACKEND, tableNames } from '../feature-flag.entities';

const TIMESTAMP = '1796256000000';

/**
 * 0.4: segments. Creates `{prefix}segments` (unique index on `name`, index on
 * `parent_segment_id`); no existing table is touched. Safe to run again, bound to one table prefix
 * like the others.
 */
export class AddFeatureFlagSegments1796256000000 implements MigrationInterface {
  readonly name: string;

  constructor(private readonly tablePrefix: string = DEFAULT_FEATURE_FLAGS_TABLE_PREFIX) {
    this.name = `AddFeatureFlagSegments_${tablePrefix}${TIMESTAMP}`;
  }

  async up(queryRunner: QueryRunner): Promise<void> {
    // Loaded lazily so that importing the library never requires the optional typeorm peer.
    const { Table, TableIndex } = requireDriver<typeof import('typeorm')>('typeorm', 'database');
    const types =
      DIALECT_COLUMNS[sqlDialect(queryRunner.connection.options.type, DATABASE_BACKEND)];
    const names = constraintNames(this.tablePrefix);
    await queryRunner.createTable(
      new Table({
        name: tableNames(this.tablePrefix).segments,
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'name', type: 'varchar', length: '255', ...types.exactText },
          { name: 'description', type: 'text', isNullable: true },
          { name: 'conditions', type: String(types.json) },
          {
            name: 'parent_segment_id',
            type: 'varchar',
            length: '64',
            isNullable: true,
            ...types.exactText,
          },
          { name: 'enabled', type: 'boolean' },
          ...['created_at', 'updated_at'].map((name) => ({
            name,
            type: String(types.timestamp),
            precision: types.timestampPrecision,
          })),
        ],
        indices: [
          new TableIndex({ name: names.segmentsName, columnNames: ['name'], isUnique: true }),
          // getChildSegments filters on it.
          new TableIndex({ name: names.segmentsParent, columnNames: ['parent_segment_id'] }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable(tableNames(this.tablePrefix).segments, true);
  }
}
