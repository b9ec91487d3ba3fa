import { ApiKeyService } from '@gatekeeper/api-auth';
import {
  FlagAlreadyExistsError,
  InjectFeatureFlagStorage,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ADMIN_KEY_SCOPES, ADMIN_OWNER_ID } from '../gatekeeper/demo.constants';
import { CONSOLE_OUTPUT, type ConsoleOutput } from './console-output';
import { EXAMPLE_FLAGS } from './example-flags';

/**
 * First start: creates the example flags, then one admin key, and prints that key once. An
 * existing key of the admin owner (even revoked) means "already seeded": nothing happens, so a
 * flag you deleted stays deleted and no second admin key ever appears.
 */
@Injectable()
export class SeedService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SeedService.name);

  constructor(
    @InjectFeatureFlagStorage() private readonly flags: FeatureFlagStorage,
    private readonly apiKeys: ApiKeyService,
    @Inject(CONSOLE_OUTPUT) private readonly output: ConsoleOutput,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (await this.alreadySeeded()) return;

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

    // Last, because it marks the seeding as done.
    const { key, apiKey } = await this.apiKeys.create({
      name: 'admin (first start)',
      ownerId: ADMIN_OWNER_ID,
      scopes: ADMIN_KEY_SCOPES,
    });
    this.output.write(adminKeyBanner(key, apiKey.id));
  }

  private async alreadySeeded(): Promise<boolean> {
    for await (const _key of this.apiKeys.listByOwner(ADMIN_OWNER_ID)) return true;
    return false;
  }
}

function adminKeyBanner(key: string, id: string): string {
  const rule = '-'.repeat(78);
  return [
    rule,
    `First start: created an admin API key (id ${id}), scopes ${ADMIN_KEY_SCOPES.join(', ')}.`,
    'It is shown only this once (only its hash is stored). Keep it in a password manager:',
    '',
    `  export ADMIN_KEY=${key}`,
    '',
    `Lost it? npm run keys -- create --owner ${ADMIN_OWNER_ID} --scopes ${ADMIN_KEY_SCOPES.join(',')}`,
    rule,
    '',
  ].join('\n');
}
