import { deepCopy } from '@gatekeeper/common';
import {
  buildEnvironment,
  buildEnvironmentFlag,
  type CreateEnvironmentFlagInput,
  type CreateEnvironmentInput,
  type Environment,
  type EnvironmentFlag,
  type UpdateEnvironmentFlagInput,
  type UpdateEnvironmentInput,
} from '../models/environment.model';
import { EnvironmentSnapshot, type EnvironmentView } from '../evaluation/environments';
import { sortBySlug, sortEnvironmentFlags } from '../models/ordering';
import {
  EnvironmentAlreadyExistsError,
  EnvironmentFlagAlreadyExistsError,
  EnvironmentFlagNotFoundError,
  EnvironmentNotFoundError,
  InvalidFlagError,
  ReferenceNotFoundError,
} from './storage.errors';

/**
 * The environments of a memory storage and their flag settings. Every method checks and writes
 * without an await in between, so each is atomic. Returns copies; `view` hands evaluation the
 * records themselves.
 */
export class MemoryEnvironments {
  private readonly byId = new Map<string, Environment>();
  private readonly idBySlug = new Map<string, string>();
  /** environmentId → flagId → settings. */
  private readonly settings = new Map<string, Map<string, EnvironmentFlag>>();
  /** What evaluation reads, built on first use after a write (every write drops it). */
  private snapshot: EnvironmentSnapshot | undefined;

  /** @param flagExists whether a flag with this id is stored (for references). */
  constructor(private readonly flagExists: (flagId: string) => boolean) {}

  get(slug: string): Environment | null {
    const id = this.idBySlug.get(slug);
    return id === undefined ? null : this.getById(id);
  }

  getById(id: string): Environment | null {
    const environment = this.byId.get(id);
    return environment ? deepCopy(environment) : null;
  }

  all(): Environment[] {
    return sortBySlug([...this.byId.values()].map((environment) => deepCopy(environment)));
  }

  create(input: CreateEnvironmentInput): Environment {
    const environment = buildEnvironment(input);
    if (this.idBySlug.has(environment.slug)) {
      throw new EnvironmentAlreadyExistsError(environment.slug);
    }
    if (this.byId.has(environment.id)) {
      throw new InvalidFlagError(`an environment with id "${environment.id}" already exists`, 'id');
    }
    this.put(environment);
    return deepCopy(environment);
  }

  update(input: UpdateEnvironmentInput): Environment {
    const stored = this.byId.get(input.id);
    if (!stored) throw new EnvironmentNotFoundError(input.id);
    const environment = buildEnvironment({ ...input, createdAt: stored.createdAt });
    const owner = this.idBySlug.get(environment.slug);
    if (owner !== undefined && owner !== environment.id) {
      throw new EnvironmentAlreadyExistsError(environment.slug);
    }
    this.idBySlug.delete(stored.slug);
    this.put(environment);
    return deepCopy(environment);
  }

  delete(slug: string): boolean {
    const id = this.idBySlug.get(slug);
    if (id === undefined) return false;
    this.snapshot = undefined;
    this.idBySlug.delete(slug);
    this.byId.delete(id);
    this.settings.delete(id);
    return true;
  }

  getFlag(environmentId: string, flagId: string): EnvironmentFlag | null {
    const settings = this.settings.get(environmentId)?.get(flagId);
    return settings ? deepCopy(settings) : null;
  }

  flagsOf(environmentId: string): EnvironmentFlag[] {
    const own = this.settings.get(environmentId)?.values() ?? [];
    return sortEnvironmentFlags([...own].map((settings) => deepCopy(settings)));
  }

  environmentsOf(flagId: string): EnvironmentFlag[] {
    const found: EnvironmentFlag[] = [];
    for (const byFlag of this.settings.values()) {
      const settings = byFlag.get(flagId);
      if (settings) found.push(deepCopy(settings));
    }
    return sortEnvironmentFlags(found);
  }

  createFlag(input: CreateEnvironmentFlagInput): EnvironmentFlag {
    const settings = buildEnvironmentFlag(input);
    if (!this.byId.has(settings.environmentId)) {
      throw new ReferenceNotFoundError('environmentId', settings.environmentId);
    }
    if (!this.flagExists(settings.flagId)) {
      throw new ReferenceNotFoundError('flagId', settings.flagId);
    }
    let byFlag = this.settings.get(settings.environmentId);
    if (byFlag?.has(settings.flagId)) {
      throw new EnvironmentFlagAlreadyExistsError(settings.environmentId, settings.flagId);
    }
    if (!byFlag) {
      byFlag = new Map<string, EnvironmentFlag>();
      this.settings.set(settings.environmentId, byFlag);
    }
    this.snapshot = undefined;
    byFlag.set(settings.flagId, settings);
    return deepCopy(settings);
  }

  updateFlag(input: UpdateEnvironmentFlagInput): EnvironmentFlag {
    const byFlag = this.settings.get(input.environmentId);
    const stored = byFlag?.get(input.flagId);
    if (!byFlag || !stored) {
      throw new EnvironmentFlagNotFoundError(input.environmentId, input.flagId);
    }
    const settings = buildEnvironmentFlag({
      ...input,
      id: stored.id,
      createdAt: stored.createdAt,
    });
    this.snapshot = undefined;
    byFlag.set(settings.flagId, settings);
    return deepCopy(settings);
  }

  deleteFlag(environmentId: string, flagId: string): boolean {
    this.snapshot = undefined;
    return this.settings.get(environmentId)?.delete(flagId) ?? false;
  }

  /** Drops every setting of a deleted flag. */
  forgetFlag(flagId: string): void {
    this.snapshot = undefined;
    for (const byFlag of this.settings.values()) byFlag.delete(flagId);
  }

  /** What evaluation in the environment `slug` sees, from the records themselves. */
  view(slug: string): EnvironmentView | undefined {
    this.snapshot ??= new EnvironmentSnapshot(
      [...this.byId.values()],
      new Map([...this.settings].map(([id, byFlag]) => [id, [...byFlag.values()]])),
    );
    return this.snapshot.view(slug);
  }

  private put(environment: Environment): void {
    this.snapshot = undefined;
    this.byId.set(environment.id, environment);
    this.idBySlug.set(environment.slug, environment.id);
  }
}
