import type { EntityManager, EntitySchema, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { FeatureFlag, FlagOverride } from '../../models/feature-flag.model';
import type { Segment } from '../../models/segment.model';
import type {
  FeatureFlagEntitySchemas,
  FlagRow,
  OverrideRow,
  RuleRow,
  VariantRow,
} from './feature-flag.entities';

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

/** A segment row as the model: an unset description or parent comes back as NULL, kept as null. */
export function toSegment(row: Segment): Segment {
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? null,
    conditions: row.conditions,
    parentSegmentId: row.parentSegmentId ?? null,
    enabled: Boolean(row.enabled),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
