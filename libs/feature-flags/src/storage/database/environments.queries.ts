import { sortBySlug, sortEnvironmentFlags } from '../../models/ordering';
import { foreignKeyViolation, uniqueViolation } from '@gatekeeper/common';
import type { ObjectLiteral } from 'typeorm';
import {
  buildEnvironment,
  buildEnvironmentFlag,
  isEnvironmentSlug,
  type CreateEnvironmentFlagInput,
  type CreateEnvironmentInput,
  type Environment,
  type EnvironmentFlag,
  type UpdateEnvironmentFlagInput,
  type UpdateEnvironmentInput,
} from '../../models/environment.model';
import {
  EnvironmentAlreadyExistsError,
  EnvironmentFlagAlreadyExistsError,
  EnvironmentFlagNotFoundError,
  EnvironmentNotFoundError,
  InvalidFlagError,
  ReferenceNotFoundError,
} from '../storage.errors';
import { isStorableId, type FlagTables } from './flag.queries';
import type { EnvironmentFlagRow } from './schedule.entities';

/**
 * The environments of a DatabaseFeatureFlagStorage and their flag settings. Unique slugs and
 * pairs are the database's unique indexes; references are its foreign keys, whose cascades also
 * delete the settings of a deleted environment or flag.
 */
export class DatabaseEnvironments {
  constructor(private readonly tables: FlagTables) {}

  async get(slug: string): Promise<Environment | null> {
    if (!isEnvironmentSlug(slug)) return null;
    const row = await this.tables.manager().findOneBy(this.tables.entities.environment, { slug });
    return row && toEnvironment(row);
  }

  async getById(id: string): Promise<Environment | null> {
    if (!isStorableId(id)) return null;
    const row = await this.tables.manager().findOneBy(this.tables.entities.environment, { id });
    return row && toEnvironment(row);
  }

  async all(): Promise<Environment[]> {
    const rows = await this.tables.manager().find(this.tables.entities.environment);
    // Sorted here: ORDER BY follows the database's collation, which differs between backends.
    return sortBySlug(rows.map(toEnvironment));
  }

  async children(parentId: string): Promise<Environment[]> {
    if (!isStorableId(parentId)) return [];
    const rows = await this.tables.manager().findBy(this.tables.entities.environment, { parentId });
    return sortBySlug(rows.map(toEnvironment));
  }

  async create(input: CreateEnvironmentInput): Promise<Environment> {
    const environment = buildEnvironment(input);
    try {
      await this.tables.write((manager) =>
        manager.insert<ObjectLiteral>(this.tables.entities.environment, environment),
      );
    } catch (error) {
      // The unique index decides, so two concurrent creates cannot both win.
      if (!uniqueViolation(error)) throw error;
      if (input.id !== undefined && (await this.getById(environment.id))) {
        throw new InvalidFlagError(
          `an environment with id "${environment.id}" already exists`,
          'id',
        );
      }
      throw new EnvironmentAlreadyExistsError(environment.slug);
    }
    return environment;
  }

  async update(input: UpdateEnvironmentInput): Promise<Environment> {
    if (!isStorableId(input.id)) throw new EnvironmentNotFoundError(input.id);
    return this.tables.transaction(async (manager) => {
      const stored = await this.tables
        .lockForUpdate(
          manager
            .createQueryBuilder(this.tables.entities.environment, 'e')
            .where('e.id = :id', { id: input.id }),
        )
        .getOne();
      if (!stored) throw new EnvironmentNotFoundError(input.id);
      const environment = buildEnvironment({ ...input, createdAt: stored.createdAt });
      const { id, ...changes } = environment;
      try {
        await manager.update<ObjectLiteral>(this.tables.entities.environment, { id }, changes);
      } catch (error) {
        if (uniqueViolation(error)) throw new EnvironmentAlreadyExistsError(environment.slug);
        throw error;
      }
      return environment;
    });
  }

  /** Its environment flags go with it: ON DELETE CASCADE. */
  async delete(slug: string): Promise<boolean> {
    if (!isEnvironmentSlug(slug)) return false;
    const result = await this.tables.write((manager) =>
      manager.delete(this.tables.entities.environment, { slug }),
    );
    return (result.affected ?? 0) > 0;
  }

  async getFlag(environmentId: string, flagId: string): Promise<EnvironmentFlag | null> {
    if (!isStorableId(environmentId) || !isStorableId(flagId)) return null;
    const row = await this.tables
      .manager()
      .findOneBy(this.tables.entities.environmentFlag, { environmentId, flagId });
    return row && toEnvironmentFlag(row);
  }

  async flagsOf(environmentId: string): Promise<EnvironmentFlag[]> {
    return isStorableId(environmentId) ? this.findFlags({ environmentId }) : [];
  }

  async environmentsOf(flagId: string): Promise<EnvironmentFlag[]> {
    return isStorableId(flagId) ? this.findFlags({ flagId }) : [];
  }

  async createFlag(input: CreateEnvironmentFlagInput): Promise<EnvironmentFlag> {
    const settings = buildEnvironmentFlag(input);
    try {
      await this.tables.write((manager) =>
        manager.insert<ObjectLiteral>(this.tables.entities.environmentFlag, settings),
      );
    } catch (error) {
      if (foreignKeyViolation(error)) {
        // Not every database says which key failed; the environment is checked first, as memory does.
        const field = (await this.getById(settings.environmentId)) ? 'flagId' : 'environmentId';
        throw new ReferenceNotFoundError(field, settings[field]);
      }
      // The unique index decides, so two concurrent creates cannot both win.
      if (!uniqueViolation(error)) throw error;
      if (input.id !== undefined && !(await this.getFlag(input.environmentId, input.flagId))) {
        throw new InvalidFlagError(
          `an environment flag with id "${settings.id}" already exists`,
          'id',
        );
      }
      throw new EnvironmentFlagAlreadyExistsError(settings.environmentId, settings.flagId);
    }
    return settings;
  }

  async updateFlag(input: UpdateEnvironmentFlagInput): Promise<EnvironmentFlag> {
    const { environmentId, flagId } = input;
    if (!isStorableId(environmentId) || !isStorableId(flagId)) {
      throw new EnvironmentFlagNotFoundError(environmentId, flagId);
    }
    return this.tables.transaction(async (manager) => {
      const stored = await this.tables
        .lockForUpdate(
          manager
            .createQueryBuilder(this.tables.entities.environmentFlag, 's')
            .where('s.environmentId = :environmentId', { environmentId })
            .andWhere('s.flagId = :flagId', { flagId }),
        )
        .getOne();
      if (!stored) throw new EnvironmentFlagNotFoundError(environmentId, flagId);
      const settings = buildEnvironmentFlag({
        ...input,
        id: stored.id,
        createdAt: stored.createdAt,
      });
      const { id, ...changes } = settings;
      await manager.update<ObjectLiteral>(this.tables.entities.environmentFlag, { id }, changes);
      return settings;
    });
  }

  async deleteFlag(environmentId: string, flagId: string): Promise<boolean> {
    if (!isStorableId(environmentId) || !isStorableId(flagId)) return false;
    const result = await this.tables.write((manager) =>
      manager.delete(this.tables.entities.environmentFlag, { environmentId, flagId }),
    );
    return (result.affected ?? 0) > 0;
  }

  private async findFlags(
    where: Pick<EnvironmentFlag, 'environmentId'> | Pick<EnvironmentFlag, 'flagId'>,
  ): Promise<EnvironmentFlag[]> {
    const rows = await this.tables.manager().findBy(this.tables.entities.environmentFlag, where);
    return sortEnvironmentFlags(rows.map(toEnvironmentFlag));
  }
}

/** An environment row as the model: unset text comes back as NULL, kept as null. */
function toEnvironment(row: Environment): Environment {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    description: row.description ?? null,
    parentId: row.parentId ?? null,
    settings: row.settings,
    isActive: Boolean(row.isActive),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A settings row as the model: NULL (inherit) as null, without the relations. */
function toEnvironmentFlag(row: EnvironmentFlagRow): EnvironmentFlag {
  return {
    id: row.id,
    environmentId: row.environmentId,
    flagId: row.flagId,
    enabled: row.enabled == null ? null : Boolean(row.enabled),
    percentage: row.percentage ?? null,
    rules: row.rules ?? null,
    variants: row.variants ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
