import type { EntityManager, EntitySchema, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import {
  buildFlag,
  FLAG_LIMITS,
  isStorableKey,
  type FeatureFlag,
  type FlagOverride,
  type UpdateFlagInput,
} from '../../models/feature-flag.model';
import { FlagVersionConflictError } from '../storage.errors';
import type {
  FeatureFlagEntitySchemas,
  FlagRow,
  OverrideRow,
  RuleRow,
  VariantRow,
} from './feature-flag.entities';

/**
 * What the storage shares with the helpers that keep its other tables (environments, schedules):
 * its entity schemas and how it reaches the database.
 */
export interface FlagTables {
  readonly entities: FeatureFlagEntitySchemas;
  /** The DataSource's manager; FeatureFlagStorageError once the storage is closed. */
  manager(): EntityManager;
  /** A write of one statement, waiting its turn on SQLite (see `SqlStorage.write`). */
  write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>;
  /** A transaction, waiting its turn on SQLite; `isolation` applies on the servers. */
  transaction<T>(
    work: (manager: EntityManager) => Promise<T>,
    isolation?: 'READ COMMITTED',
  ): Promise<T>;
  /** SELECT … FOR UPDATE where the database has row locks. */
  lockForUpdate<T extends ObjectLiteral>(query: SelectQueryBuilder<T>): SelectQueryBuilder<T>;
}

/** Whether `id` could be a stored row's id: reads of any other id find nothing without asking. */
export function isStorableId(id: unknown): id is string {
  return isStorableKey(id, FLAG_LIMITS.idLength);
}

/**
 * Flags matching `where` (on alias `f`) with their rules and variants: three queries however
 * many flags match, the child queries filtering through a join rather than a list of ids.
 */
export async function loadFlags(
  manager: EntityManager,
  entities: FeatureFlagEntitySchemas,
  where: string,
  parameters: ObjectLiteral,
): Promise<FeatureFlag[]> {
  const flags = await manager
    .createQueryBuilder(entities.flag, 'f')
    .where(where, parameters)
    .orderBy('f.key')
    .getMany();
  if (flags.length === 0) return [];
  const children = <T extends RuleRow | VariantRow>(schema: EntitySchema<T>) =>
    manager
      .getRepository(schema)
      .createQueryBuilder('c')
      .innerJoin(entities.flag.options.name, 'f', 'f.id = c.flagId')
      .where(where, parameters)
      .orderBy('c.position')
      .getMany();
  const [rules, variants] = await Promise.all([
    children(entities.rule),
    children(entities.variant),
  ]);
  const rulesByFlag = groupByFlag(rules);
  const variantsByFlag = groupByFlag(variants);
  // Unset named values come back as NULL: leave them out, as the other backends do.
  return flags.map(({ defaultVariant, ...row }) => ({
    ...row,
    ...(defaultVariant != null && { defaultVariant }),
    rules: (rulesByFlag.get(row.id) ?? []).map(
      ({ flagId: _flagId, position: _position, flag: _flag, serveVariant, ...rule }) => ({
        ...rule,
        ...(serveVariant != null && { serveVariant }),
      }),
    ),
    variants: (variantsByFlag.get(row.id) ?? []).map(
      ({ flagId: _flagId, position: _position, flag: _flag, ...variant }) => variant,
    ),
  }));
}

/**
 * Writes `flag` over the stored row `stored`, which the caller has locked: version + 1, updated
 * at `now`, rules and variants replaced. The one path by which updates and scheduled changes
 * write a flag. `UPDATE … WHERE id = ? AND version = ?` is the compare-and-set itself, which also
 * holds where nothing is locked (SQLite shared by several processes).
 * @throws FlagVersionConflictError when the stored version moved on meanwhile.
 */
export async function rewriteFlag(
  manager: EntityManager,
  entities: FeatureFlagEntitySchemas,
  stored: FlagRow,
  flag: UpdateFlagInput,
  expected: number,
  now?: Date,
): Promise<FeatureFlag> {
  const updated = buildFlag(
    { ...flag, id: stored.id, createdAt: stored.createdAt, version: stored.version + 1 },
    now,
  );
  const { id, ...changes } = flagRow(updated);
  const result = await manager.update<ObjectLiteral>(
    entities.flag,
    { id, version: stored.version },
    changes,
  );
  if (result.affected !== 1) {
    const current = await manager.findOneBy<ObjectLiteral>(entities.flag, { id });
    throw new FlagVersionConflictError(flag.key, expected, Number(current?.version ?? 0));
  }
  await manager.delete(entities.rule, { flagId: id });
  await manager.delete(entities.variant, { flagId: id });
  await insertChildren(manager, entities, updated);
  return updated;
}

export async function insertChildren(
  manager: EntityManager,
  entities: FeatureFlagEntitySchemas,
  flag: FeatureFlag,
): Promise<void> {
  const { rules, variants } = childRows(flag);
  // One multi-row INSERT per table. (Here and at the other writes, `<ObjectLiteral>` spares the
  // compiler TypeORM's deep-partial type of the recursive JsonValue, which it cannot expand.)
  if (rules.length > 0) await manager.insert<ObjectLiteral>(entities.rule, rules);
  if (variants.length > 0) await manager.insert<ObjectLiteral>(entities.variant, variants);
}

/** The override of one entity for one flag (alias `o`), expired or not. */
export function overrideQuery(
  manager: EntityManager,
  entities: FeatureFlagEntitySchemas,
  flagId: string,
  entityType: string,
  entityId: string,
): SelectQueryBuilder<OverrideRow> {
  return manager
    .createQueryBuilder(entities.override, 'o')
    .where('o.flagId = :flagId', { flagId })
    .andWhere('o.entityType = :entityType', { entityType })
    .andWhere('o.entityId = :entityId', { entityId });
}

/**
 * The ids of the flags that have overrides: per flag, one probe of the overrides' unique
 * (flag_id, entity_type, entity_id) index, however many overrides there are.
 */
export async function overriddenFlagIds(
  manager: EntityManager,
  entities: FeatureFlagEntitySchemas,
): Promise<string[]> {
  const rows = await manager
    .createQueryBuilder(entities.flag, 'f')
    .select('f.id', 'id')
    .where((query) => {
      const overrides = query.subQuery().select('1').from(entities.override, 'o');
      return `EXISTS ${overrides.where('o.flagId = f.id').getQuery()}`;
    })
    .getRawMany<{ id: string }>();
  return rows.map((row) => row.id);
}

/** The flag's own row: the model without the rules and variants (their own tables). */
export function flagRow(flag: FeatureFlag): FlagRow {
  const { rules: _rules, variants: _variants, ...row } = flag;
  // Written as NULL when unset: an absent field would leave the stored name in place.
  return { ...row, defaultVariant: (row.defaultVariant ?? null) as string | undefined };
}

/** The child rows of a flag, `position` keeping the order they were given in. */
export function childRows(flag: FeatureFlag): { rules: RuleRow[]; variants: VariantRow[] } {
  return {
    rules: flag.rules.map((rule, position) => ({ ...rule, flagId: flag.id, position })),
    variants: flag.variants.map((variant, position) => ({
      ...variant,
      flagId: flag.id,
      position,
    })),
  };
}

export function toOverride(row: OverrideRow): FlagOverride {
  const { flag: _flag, ...override } = row;
  return override;
}

/** Child rows by flag id, in the order the query returned them (by position). */
function groupByFlag<T extends { flagId: string }>(rows: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.flagId);
    if (group) group.push(row);
    else groups.set(row.flagId, [row]);
  }
  return groups;
}
