import type { TableColumnOptions } from 'typeorm';
import { requireDriver, type DialectColumns } from '@gatekeeper/common';

/**
 * The column definitions the shipped migrations create tables from, for one dialect: the same
 * types, lengths and collations as the entity schemas' (`entityColumns`), so that TypeORM sees no
 * difference between the two.
 */
export function tableColumns(types: DialectColumns) {
  // Loaded lazily so that importing the library never requires the optional typeorm peer.
  const { TableForeignKey } = requireDriver<typeof import('typeorm')>('typeorm', 'database');
  const text = (name: string, length = 255, isNullable = false): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: String(length),
    isNullable,
  });
  return {
    id: { name: 'id', type: 'varchar', length: '64', isPrimary: true } as TableColumnOptions,
    reference: (name: string): TableColumnOptions => text(name, 64),
    text,
    exact: (name: string, length = 255, isNullable = false): TableColumnOptions => ({
      ...text(name, length, isNullable),
      ...types.exactText,
    }),
    optionalText: (name: string): TableColumnOptions => ({ name, type: 'text', isNullable: true }),
    json: (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: String(types.json),
      isNullable,
    }),
    bool: (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: 'boolean',
      isNullable,
    }),
    int: (name: string): TableColumnOptions => ({ name, type: 'integer' }),
    double: (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: String(types.double),
      isNullable,
    }),
    timestamp: (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: String(types.timestamp),
      precision: types.timestampPrecision,
      isNullable,
    }),
    /** A foreign key from `column` to `table`'s `id`, deleted with the row it references. */
    cascadeTo: (name: string, column: string, table: string) =>
      new TableForeignKey({
        name,
        columnNames: [column],
        referencedTableName: table,
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
        // Spelled out: MySQL/MariaDB would otherwise record RESTRICT, which TypeORM's entity
        // default (NO ACTION) reports as a difference to "fix".
        onUpdate: 'NO ACTION',
      }),
  };
}
