import { DIALECT_COLUMNS, sqlDialect } from '@gatekeeper/common';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_FEATURE_FLAGS_TABLE_PREFIX } from '../../../feature-flags.constants';
import { DATABASE_BACKEND, tableNames } from '../feature-flag.entities';

const TIMESTAMP = '1796169600000';

/**
 * 0.2: named values. `{prefix}flags.default_variant` and `{prefix}rules.serve_variant`, the key
 * of the variant served instead of the flag default or the rule's value; null (unset) for every
 * existing row. Safe to run again, bound to one table prefix like the others.
 */
export class AddFeatureFlagNamedValues1796169600000 implements MigrationInterface {
  readonly name: string;

  constructor(private readonly tablePrefix: string = DEFAULT_FEATURE_FLAGS_TABLE_PREFIX) {
    this.name = `AddFeatureFlagNamedValues_${tablePrefix}${TIMESTAMP}`;
  }

  async up(queryRunner: QueryRunner): Promise<void> {
    const { flags, rules } = tableNames(this.tablePrefix);
    // Plain ALTER TABLE … ADD COLUMN: TypeORM's SQLite addColumn rebuilds the table, and dropping
    // the old one would cascade-delete every child row.
    const { charset, collation } =
      DIALECT_COLUMNS[sqlDialect(queryRunner.connection.options.type, DATABASE_BACKEND)].exactText;
    const type = `varchar(255)${charset ? ` CHARACTER SET ${charset}` : ''}${collation ? ` COLLATE ${collation}` : ''}`;
    for (const [table, column] of [
      [flags, 'default_variant'],
      [rules, 'serve_variant'],
    ] as const) {
      if (await queryRunner.hasColumn(table, column)) continue;
      const quoted = queryRunner.connection.driver.escape(table);
      await queryRunner.query(`ALTER TABLE ${quoted} ADD COLUMN ${column} ${type} NULL`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { flags, rules } = tableNames(this.tablePrefix);
    for (const [table, column] of [
      [flags, 'default_variant'],
      [rules, 'serve_variant'],
    ] as const) {
      if (!(await queryRunner.hasColumn(table, column))) continue;
      const quoted = queryRunner.connection.driver.escape(table);
      await queryRunner.query(`ALTER TABLE ${quoted} DROP COLUMN ${column}`);
    }
  }
}
