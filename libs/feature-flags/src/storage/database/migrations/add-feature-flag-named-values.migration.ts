import {
  addColumnIfMissing,
  DIALECT_COLUMNS,
  dropColumnIfPresent,
  sqlDialect,
} from '@gatekeeper/common';
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
    const { charset, collation } =
      DIALECT_COLUMNS[sqlDialect(queryRunner.connection.options.type, DATABASE_BACKEND)].exactText;
    const type = `varchar(255)${charset ? ` CHARACTER SET ${charset}` : ''}${collation ? ` COLLATE ${collation}` : ''} NULL`;
    await addColumnIfMissing(queryRunner, flags, 'default_variant', type);
    await addColumnIfMissing(queryRunner, rules, 'serve_variant', type);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { flags, rules } = tableNames(this.tablePrefix);
    await dropColumnIfPresent(queryRunner, flags, 'default_variant');
    await dropColumnIfPresent(queryRunner, rules, 'serve_variant');
  }
}
