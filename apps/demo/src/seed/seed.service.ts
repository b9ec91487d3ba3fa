import { ApiKeyService } from '@gatekeeper/api-auth';
import {
  EnvironmentAlreadyExistsError,
  FlagAlreadyExistsError,
  InjectFeatureFlagStorage,
  type Environment,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { keysCliCommand } from '../cli/keys-cli.command';
import { ADMIN_KEY_SCOPES, ADMIN_OWNER_ID, DEMO_CONFIG } from '../gatekeeper/demo.constants';
import { DEFAULT_ENVIRONMENT, type DemoConfig } from '../config/demo.config';
import { CONSOLE_OUTPUT, type ConsoleOutput } from './console-output';
import { EXAMPLE_ENVIRONMENTS, type ExampleEnvironment } from './example-environments';
import { EXAMPLE_FLAGS } from './example-flags';

/**
 * First start: creates the example flags and environments, then one admin key, and prints that
 * key once. An existing key of the admin owner (even revoked) means "already seeded": nothing is
 * created, so a flag you deleted stays deleted and no second admin key ever appears.
 */
@Injectable()
export class SeedService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SeedService.name);

  constructor(
    @InjectFeatureFlagStorage() private readonly flags: FeatureFlagStorage,
    private readonly apiKeys: ApiKeyService,
    @Inject(CONSOLE_OUTPUT) private readonly output: ConsoleOutput,
    @Inject(DEMO_CONFIG) private readonly config: DemoConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!(await this.alreadySeeded())) await this.seed();
    await this.checkEnvironment();
  }

  private async seed(): Promise<void> {
    const created: string[] = [];
    for (const flag of EXAMPLE_FLAGS) {
      try {
        await this.flags.createFlag(flag);
        created.push(flag.key);
      } catch (error) {
        // A first start that stopped half-way: keep what is there.
        if (!(error instanceof FlagAlreadyExistsError)) throw error;
      }
    }
    if (created.length > 0) this.logger.log(`Created example flags: ${created.join(', ')}`);

    const environments: Environment[] = [];
    for (const example of EXAMPLE_ENVIRONMENTS) {
      environments.push(await this.createEnvironment(example, environments));
    }
    this.logger.log(`Example environments: ${environments.map((env) => env.slug).join(', ')}`);

    // Last, because it marks the seeding as done.
    const { key, apiKey } = await this.apiKeys.create({
      name: 'admin (first start)',
      ownerId: ADMIN_OWNER_ID,
      scopes: ADMIN_KEY_SCOPES,
    });
    this.output.write(adminKeyBanner(key, apiKey.id, this.config));
  }

  /** The environment, created below its parent (one of `created`); kept if it exists already. */
  private async createEnvironment(
    { parent, ...example }: ExampleEnvironment,
    created: Environment[],
  ): Promise<Environment> {
    const parentId = created.find((env) => env.slug === parent)?.id ?? null;
    try {
      return await this.flags.createEnvironment!({ ...example, parentId });
    } catch (error) {
      const existing =
        error instanceof EnvironmentAlreadyExistsError
          ? await this.flags.getEnvironment!(example.slug)
          : null;
      if (!existing) throw error;
      return existing;
    }
  }

  /** A typo in GATEKEEPER_ENVIRONMENT would silently evaluate every flag without its settings. */
  private async checkEnvironment(): Promise<void> {
    const slug = this.config.environment ?? DEFAULT_ENVIRONMENT;
    if (await this.flags.getEnvironment!(slug)) return;
    this.logger.warn(
      `GATEKEEPER_ENVIRONMENT is "${slug}", which names no environment: flags are evaluated ` +
        'without environment settings until it is created (POST /admin/environments)',
    );
  }

  private async alreadySeeded(): Promise<boolean> {
    for await (const _key of this.apiKeys.listByOwner(ADMIN_OWNER_ID)) return true;
    return false;
  }
}

function adminKeyBanner(key: string, id: string, config: DemoConfig): string {
  const rule = '-'.repeat(78);
  return [
    rule,
    `First start: created an admin API key (id ${id}), scopes ${ADMIN_KEY_SCOPES.join(', ')}.`,
    'It is shown only this once (only its hash is stored). Keep it in a password manager:',
    '',
    `  export ADMIN_KEY=${key}`,
    '',
    ...lostKeyHint(config),
    rule,
    '',
  ].join('\n');
}

/** How to get another admin key: the CLI command for this very store, or why there is none. */
function lostKeyHint(config: DemoConfig): string[] {
  const cli = keysCliCommand(config, [
    'create',
    '--owner-id',
    ADMIN_OWNER_ID,
    '--scopes',
    ADMIN_KEY_SCOPES.join(','),
  ]);
  if (!cli.reachable) {
    return [
      `Lost it? Restart the server: with ${cli.setting} every start begins empty and prints a`,
      "new admin key (npm run keys cannot reach keys kept in the server's memory).",
    ];
  }
  return [
    'Lost it? Issue another from a second terminal:',
    `  ${cli.command}`,
    ...(cli.redacted ? ['(*** stands for a secret left out here: put it back.)'] : []),
  ];
}
