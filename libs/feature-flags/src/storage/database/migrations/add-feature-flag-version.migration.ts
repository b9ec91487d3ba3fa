import { addColumnIfMissing, dropColumnIfPresent } from '@gatekeeper/common';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_FEATURE_FLAGS_TABLE_PREFIX } from '../../../feature-flags.constants';
import { tableNames } from '../feature-flag.entities';

const TIMESTAMP = '1796083200000';

/**
 * 0.3: adds `version` (optimistic concurrency) to the flags table of 0.1/0.2. Existing flags start
 * at version 1; no row is rewritten. Safe to run again (also what `createTables: true` runs at
 * startup), and bound to one table prefix like CreateFeatureFlagTables1767225600000.
 */
export class AddFeatureFlagVersion1796083200000 implements MigrationInterface {
  readonly name: string;

  constructor(private readonly tablePrefix: string = DEFAULT_FEATURE_FLAGS_TABLE_PREFIX) {
    this.name = `AddFeatureFlagVersion_${tablePrefix}${TIMESTAMP}`;
  }

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = tableNames(this.tablePrefix).flags;
    await addColumnIfMissing(queryRunner, table, 'version', 'integer NOT NULL DEFAULT 1');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropColumnIfPresent(queryRunner, tableNames(this.tablePrefix).flags, 'version');
  }
}
