import {
  EnvironmentFlagAlreadyExistsError,
  EnvironmentFlagNotFoundError,
  InjectFeatureFlagStorage,
  type Environment,
  type EnvironmentFlag,
  type FeatureFlag,
  type FeatureFlagStorage,
  type UpdateEnvironmentFlagInput,
} from '@gatekeeper/feature-flags';
import { Injectable, NotFoundException } from '@nestjs/common';
import { assertFits, assertUniqueRuleNames, assertVariantWeights } from '../flags/flag-checks';
import { FlagsAdminService } from '../flags/flags-admin.service';
import type { EnvironmentFlagDto } from './dto/environment-flag.dto';
import { EnvironmentsAdminService } from './environments-admin.service';

/** The settings of one flag in one environment, addressed by environment slug and flag key. */
@Injectable()
export class EnvironmentFlagsAdminService {
  constructor(
    @InjectFeatureFlagStorage() private readonly storage: FeatureFlagStorage,
    private readonly environments: EnvironmentsAdminService,
    private readonly flags: FlagsAdminService,
  ) {}

  async list(slug: string): Promise<EnvironmentFlag[]> {
    const environment = await this.environments.get(slug);
    return this.storage.getEnvironmentFlags!(environment.id);
  }

  async get(slug: string, flagKey: string): Promise<EnvironmentFlag> {
    const [environment, flag] = await this.pair(slug, flagKey);
    const settings = await this.storage.getEnvironmentFlag!(environment.id, flag.id);
    if (!settings) throw notConfigured(slug, flagKey);
    return settings;
  }

  /** Creates or replaces the pair's settings: what the body leaves out is inherited. */
  async put(slug: string, flagKey: string, input: EnvironmentFlagDto): Promise<EnvironmentFlag> {
    const [environment, flag] = await this.pair(slug, flagKey);
    input.rules?.forEach((rule, index) =>
      assertFits(flag.flagType, `rules.${index}.serveValue`, rule.serveValue),
    );
    assertUniqueRuleNames(input.rules ?? []);
    assertVariantWeights(input.variants ?? undefined);
    const settings: UpdateEnvironmentFlagInput = {
      environmentId: environment.id,
      flagId: flag.id,
      enabled: input.enabled ?? null,
      percentage: input.percentage ?? null,
      rules: input.rules ?? null,
      variants: input.variants ?? null,
    };
    // Create or update, whichever the stored state allows; a concurrent PUT of the same pair
    // makes the first choice wrong exactly once.
    const existing = await this.storage.getEnvironmentFlag!(environment.id, flag.id);
    try {
      return await this.write(settings, existing !== null);
    } catch (error) {
      if (
        !(error instanceof EnvironmentFlagAlreadyExistsError) &&
        !(error instanceof EnvironmentFlagNotFoundError)
      ) {
        throw error;
      }
      return this.write(settings, error instanceof EnvironmentFlagAlreadyExistsError);
    }
  }

  async delete(slug: string, flagKey: string): Promise<void> {
    const [environment, flag] = await this.pair(slug, flagKey);
    if (!(await this.storage.deleteEnvironmentFlag!(environment.id, flag.id))) {
      throw notConfigured(slug, flagKey);
    }
  }

  private write(settings: UpdateEnvironmentFlagInput, exists: boolean): Promise<EnvironmentFlag> {
    return exists
      ? this.storage.updateEnvironmentFlag!(settings)
      : this.storage.createEnvironmentFlag!(settings);
  }

  private pair(slug: string, flagKey: string): Promise<[Environment, FeatureFlag]> {
    return Promise.all([this.environments.get(slug), this.flags.get(flagKey)]);
  }
}

function notConfigured(slug: string, flagKey: string): NotFoundException {
  return new NotFoundException(
    `flag "${flagKey}" has no settings in environment "${slug}": it inherits them all`,
  );
}
