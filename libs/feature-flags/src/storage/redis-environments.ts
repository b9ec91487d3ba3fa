import { FLAG_LIMITS, isStorableKey } from '../models/feature-flag.model';
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
} from '../models/environment.model';
import { sortBySlug, sortEnvironmentFlags } from '../models/ordering';
import { RedisStorageBase } from './redis-base.storage';
import {
  parseEnvironment,
  parseEnvironmentFlag,
  serializeEnvironment,
  serializeEnvironmentFlag,
} from './redis-records.codec';
import { recordScripts } from './redis-records.scripts';
import { scripts } from './redis.scripts';
import {
  EnvironmentAlreadyExistsError,
  EnvironmentFlagAlreadyExistsError,
  EnvironmentFlagNotFoundError,
  EnvironmentNotFoundError,
  InvalidFlagError,
  ReferenceNotFoundError,
} from './storage.errors';

/**
 * Environments and environment flags of `RedisFeatureFlagStorage` (see RedisStorageBase for why
 * the class spans files). An environment's slug is claimed in the same script that writes it, an
 * environment flag's pair by `SET … NX`, so concurrent creates of one slug or pair cannot both win.
 */
export abstract class RedisEnvironmentStorage extends RedisStorageBase {
  async getEnvironment(slug: string): Promise<Environment | null> {
    if (!isEnvironmentSlug(slug)) return null;
    const document = await scripts.BY_UNIQUE.run(
      this.client(),
      [this.keys.environmentSlugs],
      [slug, this.keys.environment('')],
    );
    return typeof document === 'string' ? parseEnvironment(document) : null;
  }

  async getEnvironmentById(id: string): Promise<Environment | null> {
    if (!isStorableKey(id, FLAG_LIMITS.idLength)) return null;
    const document = await this.client().get(this.keys.environment(id));
    return document === null ? null : parseEnvironment(document);
  }

  async getAllEnvironments(): Promise<Environment[]> {
    const documents = await this.documents(
      this.keys.environments,
      'SMEMBERS',
      this.keys.environment(''),
    );
    return sortBySlug(documents.map(parseEnvironment));
  }

  /** All environments (one round trip), filtered here: environments are few and read together. */
  async getChildEnvironments(parentId: string): Promise<Environment[]> {
    if (!isStorableKey(parentId, FLAG_LIMITS.idLength)) return [];
    return (await this.getAllEnvironments()).filter((child) => child.parentId === parentId);
  }

  async createEnvironment(input: CreateEnvironmentInput): Promise<Environment> {
    const environment = buildEnvironment(input);
    const created = await scripts.CREATE_UNIQUE.run(
      this.client(),
      [this.keys.environment(environment.id), this.keys.environmentSlugs, this.keys.environments],
      [serializeEnvironment(environment), environment.slug, environment.id],
    );
    if (created === -1) {
      throw new InvalidFlagError(`an environment with id "${environment.id}" already exists`, 'id');
    }
    if (created !== 1) throw new EnvironmentAlreadyExistsError(environment.slug);
    return environment;
  }

  async updateEnvironment(input: UpdateEnvironmentInput): Promise<Environment> {
    const stored = await this.getEnvironmentById(input.id);
    if (!stored) throw new EnvironmentNotFoundError(input.id);
    const environment = buildEnvironment({ ...input, createdAt: stored.createdAt });
    const result = await scripts.UPDATE_UNIQUE.run(
      this.client(),
      [this.keys.environment(environment.id), this.keys.environmentSlugs],
      [serializeEnvironment(environment), environment.slug, environment.id, 'slug'],
    );
    if (result === 0) throw new EnvironmentNotFoundError(input.id);
    if (result === -1) throw new EnvironmentAlreadyExistsError(environment.slug);
    return environment;
  }

  async deleteEnvironment(slug: string): Promise<boolean> {
    if (!isEnvironmentSlug(slug)) return false;
    const deleted = await recordScripts.DELETE_ENVIRONMENT.run(
      this.client(),
      [this.keys.environmentSlugs, this.keys.environments],
      [slug, this.prefix],
    );
    return deleted === 1;
  }

  async getEnvironmentFlag(environmentId: string, flagId: string): Promise<EnvironmentFlag | null> {
    if (!isPair(environmentId, flagId)) return null;
    const document = await this.client().get(this.keys.environmentFlag(environmentId, flagId));
    return document === null ? null : parseEnvironmentFlag(document);
  }

  /** By flag id. */
  async getEnvironmentFlags(environmentId: string): Promise<EnvironmentFlag[]> {
    if (!isStorableKey(environmentId, FLAG_LIMITS.idLength)) return [];
    const documents = await this.documents(
      this.keys.environmentFlags(environmentId),
      'SMEMBERS',
      this.keys.environmentFlag(environmentId, ''),
    );
    return sortEnvironmentFlags(documents.map(parseEnvironmentFlag));
  }

  /** By environment id. */
  async getFlagEnvironments(flagId: string): Promise<EnvironmentFlag[]> {
    if (!isStorableKey(flagId, FLAG_LIMITS.idLength)) return [];
    const documents = await this.documents(
      this.keys.flagEnvironments(flagId),
      'SMEMBERS',
      this.keys.environmentFlagPrefix,
      `:${flagId}`,
    );
    return sortEnvironmentFlags(documents.map(parseEnvironmentFlag));
  }

  async createEnvironmentFlag(input: CreateEnvironmentFlagInput): Promise<EnvironmentFlag> {
    const environmentFlag = buildEnvironmentFlag(input);
    const { environmentId, flagId } = environmentFlag;
    const created = await recordScripts.CREATE_ENVIRONMENT_FLAG.run(
      this.client(),
      [
        this.keys.environmentFlag(environmentId, flagId),
        this.keys.environmentFlags(environmentId),
        this.keys.flagEnvironments(flagId),
        this.keys.environment(environmentId),
      ],
      [serializeEnvironmentFlag(environmentFlag), environmentId, flagId, this.prefix],
    );
    if (created === -1) throw new ReferenceNotFoundError('environmentId', environmentId);
    if (created === -2) throw new ReferenceNotFoundError('flagId', flagId);
    if (created !== 1) throw new EnvironmentFlagAlreadyExistsError(environmentId, flagId);
    return environmentFlag;
  }

  /** A compare-and-set against the settings read, so that a concurrent delete is never undone. */
  async updateEnvironmentFlag(input: UpdateEnvironmentFlagInput): Promise<EnvironmentFlag> {
    const { environmentId, flagId } = input;
    if (!isPair(environmentId, flagId)) {
      throw new EnvironmentFlagNotFoundError(environmentId, flagId);
    }
    const key = this.keys.environmentFlag(environmentId, flagId);
    for (;;) {
      const document = await this.client().get(key);
      if (document === null) throw new EnvironmentFlagNotFoundError(environmentId, flagId);
      const stored = parseEnvironmentFlag(document);
      const environmentFlag = buildEnvironmentFlag({
        ...input,
        id: stored.id,
        createdAt: stored.createdAt,
      });
      const result = await recordScripts.REPLACE.run(
        this.client(),
        [key],
        [serializeEnvironmentFlag(environmentFlag), document],
      );
      if (result === 1) return environmentFlag;
      if (result === 0) throw new EnvironmentFlagNotFoundError(environmentId, flagId);
    }
  }

  async deleteEnvironmentFlag(environmentId: string, flagId: string): Promise<boolean> {
    if (!isPair(environmentId, flagId)) return false;
    const deleted = await recordScripts.DELETE_ENVIRONMENT_FLAG.run(
      this.client(),
      [
        this.keys.environmentFlag(environmentId, flagId),
        this.keys.environmentFlags(environmentId),
        this.keys.flagEnvironments(flagId),
      ],
      [environmentId, flagId],
    );
    return deleted === 1;
  }
}

function isPair(environmentId: string, flagId: string): boolean {
  return (
    isStorableKey(environmentId, FLAG_LIMITS.idLength) &&
    isStorableKey(flagId, FLAG_LIMITS.idLength)
  );
}
