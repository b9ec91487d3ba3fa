import { existsSync } from 'node:fs';
import type { ApiKeyService } from '@gatekeeper/api-auth';
import { describeError } from '@gatekeeper/common';
import { describeStorage, type DemoConfig } from '../config/demo.config';
import { ADMIN_OWNER_ID } from '../gatekeeper/demo.constants';
import { sqliteFile, unreachable } from './keys-cli.command';

/*
 * The CLI reads its store from the same variables as the server, with the same defaults. Run
 * without them next to a server on Redis or PostgreSQL, it would quietly work on
 * ./data/gatekeeper.sqlite instead, and keys it issued would never work. So it only works on a
 * store some demo has started on: one that holds the admin key of a first start.
 */

/** Why the CLI refuses the store, before opening anything; `undefined` to go on. */
export function refuseBeforeConnecting(config: DemoConfig): string | undefined {
  const why = unreachable(config);
  if (why !== undefined) return why;
  const file = sqliteFile(config);
  // Opening a missing SQLite file would create it: an empty store the server never sees.
  if (file !== undefined && !existsSync(file)) return notADemoStore(config, `no file ${file}`);
  return undefined;
}

/** Why the CLI refuses the store it opened (the demo never started there); `undefined` to go on. */
export async function refuseAfterConnecting(
  config: DemoConfig,
  apiKeys: ApiKeyService,
): Promise<string | undefined> {
  try {
    for await (const _key of apiKeys.listByOwner(ADMIN_OWNER_ID)) return undefined;
    return notADemoStore(config, 'it holds none of its keys');
  } catch (error) {
    // On SQL the CLI creates no tables: a database the demo never used has none.
    return notADemoStore(config, describeError(error));
  }
}

function notADemoStore(config: DemoConfig, why: string): string {
  const prefix =
    config.redisPrefix === '' ? '' : ` with GATEKEEPER_REDIS_PREFIX=${config.redisPrefix}`;
  return [
    `npm start has never run on ${describeStorage(config)}${prefix} (${why}).`,
    "npm run keys works on the server's store: give it the server's GATEKEEPER_BACKEND,",
    'DATABASE_URL, REDIS_URL, GATEKEEPER_REDIS_PREFIX and GATEKEEPER_PEPPER (its first start',
    'printed the command for its store), e.g.',
    '  GATEKEEPER_BACKEND=redis REDIS_URL=redis://localhost:6379/0 npm run keys -- list',
  ].join('\n');
}
