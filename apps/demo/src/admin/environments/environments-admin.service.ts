import {
  InjectFeatureFlagStorage,
  type Environment,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import {
  BadRequestException,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { wouldLoop } from '../../common/parent-chain';
import type { CreateEnvironmentDto } from './dto/create-environment.dto';
import type { UpdateEnvironmentDto } from './dto/update-environment.dto';

/**
 * Environments by slug, on the configured storage (every built-in storage has the environment
 * methods). The API names a parent by slug; the storage keeps its id.
 */
@Injectable()
export class EnvironmentsAdminService {
  constructor(@InjectFeatureFlagStorage() private readonly storage: FeatureFlagStorage) {}

  list(): Promise<Environment[]> {
    return this.storage.getAllEnvironments!();
  }

  async get(slug: string): Promise<Environment> {
    const environment = await this.storage.getEnvironment!(slug);
    if (!environment) throw new NotFoundException(`no environment "${slug}"`);
    return environment;
  }

  async create({ parent, ...input }: CreateEnvironmentDto): Promise<Environment> {
    return this.storage.createEnvironment!({ ...input, parentId: await this.parentId(parent) });
  }

  async update(slug: string, changes: UpdateEnvironmentDto): Promise<Environment> {
    const environment = await this.get(slug);
    let parentId = environment.parentId;
    if (changes.parent !== undefined) {
      parentId = await this.parentId(changes.parent);
      const all = await this.storage.getAllEnvironments!();
      if (parentId !== null && wouldLoop(all, (env) => env.parentId, parentId, environment.id)) {
        throw new BadRequestException([
          `parent "${changes.parent}" is "${slug}" or below it: an environment cannot inherit from itself`,
        ]);
      }
    }
    return this.storage.updateEnvironment!({
      ...environment,
      name: changes.name ?? environment.name,
      slug: changes.slug ?? environment.slug,
      description:
        changes.description === undefined ? environment.description : changes.description,
      parentId,
      settings: changes.settings ?? environment.settings,
      isActive: changes.isActive ?? environment.isActive,
    });
  }

  async delete(slug: string): Promise<void> {
    if (!(await this.storage.deleteEnvironment!(slug))) {
      throw new NotFoundException(`no environment "${slug}"`);
    }
  }

  private async parentId(parent: string | null | undefined): Promise<string | null> {
    if (parent === undefined || parent === null) return null;
    const environment = await this.storage.getEnvironment!(parent);
    if (!environment)
      throw new UnprocessableEntityException([`parent: no environment "${parent}"`]);
    return environment.id;
  }
}
