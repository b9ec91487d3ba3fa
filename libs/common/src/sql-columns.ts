import type { QueryRunner } from 'typeorm';

/**
 * Adds `column` (`definition`: its type and constraints, e.g. `integer NOT NULL DEFAULT 1`) to an
 * existing table, unless it is there already, for the shipped upgrade migrations of both modules.
 * Plain `ALTER TABLE … ADD COLUMN` on every dialect: TypeORM's SQLite `addColumn` copies the table
 * into a new one and drops the old, which would cascade-delete the rows of child tables.
 */
export async function addColumnIfMissing(
  queryRunner: QueryRunner,
  table: string,
  column: string,
  definition: string,
): Promise<void> {
  if (await queryRunner.hasColumn(table, column)) return;
  const quoted = queryRunner.connection.driver.escape(table);
  await queryRunner.query(`ALTER TABLE ${quoted} ADD COLUMN ${column} ${definition}`);
}

/** The `down()` of `addColumnIfMissing`. */
export async function dropColumnIfPresent(
  queryRunner: QueryRunner,
  table: string,
  column: string,
): Promise<void> {
  if (!(await queryRunner.hasColumn(table, column))) return;
  const quoted = queryRunner.connection.driver.escape(table);
  await queryRunner.query(`ALTER TABLE ${quoted} DROP COLUMN ${column}`);
}
