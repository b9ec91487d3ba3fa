import { parseConnectionString, redactSecrets } from '@gatekeeper/common';
import { DEFAULT_SQLITE_URL, type DemoConfig } from '../config/demo.config';

/** How `npm run keys` reaches the store of a server: the command line, or why it cannot. */
export type KeysCliCommand =
  | { reachable: true; command: string; /** a secret shows as `***` */ redacted: boolean }
  | { reachable: false; /** the setting that keeps keys in the server's memory */ setting: string };

/** What the CLI answers, and the server's first start prints, for a store out of its reach. */
export const UNREACHABLE_STORE =
  'keeps keys inside the server process, out of reach of npm run keys: use the HTTP admin routes ' +
  '(/admin/keys), or a sqlite, postgres, mysql or redis backend';

/**
 * `npm run keys -- <args>` with the variables that make the CLI open the store `config` describes
 * (each one that differs from its default). Secrets are never printed: a password in a URL and
 * the pepper show as `***`.
 */
export function keysCliCommand(config: DemoConfig, args: string[]): KeysCliCommand {
  const setting = inServerMemory(config);
  if (setting !== undefined) return { reachable: false, setting };

  const env: Array<[string, string]> = [];
  if (config.backend !== 'sqlite') env.push(['GATEKEEPER_BACKEND', config.backend]);
  if (config.backend === 'redis') env.push(['REDIS_URL', config.redisUrl!]);
  else if (config.databaseUrl !== DEFAULT_SQLITE_URL)
    env.push(['DATABASE_URL', config.databaseUrl!]);
  if (config.redisPrefix !== '') env.push(['GATEKEEPER_REDIS_PREFIX', config.redisPrefix]);

  let redacted = false;
  const assignments = env.map(([name, value]) => {
    const shown = redactSecrets(value);
    redacted ||= shown !== value;
    return `${name}=${quote(shown, ASSIGNMENT_SAFE)}`;
  });
  if (config.pepper !== undefined) {
    assignments.push('GATEKEEPER_PEPPER=***');
    redacted = true;
  }
  const words = [
    ...assignments,
    'npm',
    'run',
    'keys',
    '--',
    ...args.map((arg) => quote(arg, SAFE)),
  ];
  return { reachable: true, command: words.join(' '), redacted };
}

/** Why no other process can open the store, or `undefined` when the CLI can. */
export function unreachable(config: DemoConfig): string | undefined {
  const setting = inServerMemory(config);
  return setting === undefined ? undefined : `${setting} ${UNREACHABLE_STORE}`;
}

/** The setting that keeps the store in the server's memory, if it does. */
function inServerMemory(config: DemoConfig): string | undefined {
  if (config.backend === 'memory') return 'GATEKEEPER_BACKEND=memory';
  if (sqliteFile(config) === ':memory:') return `DATABASE_URL=${config.databaseUrl}`;
  return undefined;
}

/** The SQLite file of the sqlite backend (`:memory:` for `sqlite::memory:`). */
export function sqliteFile(config: DemoConfig): string | undefined {
  if (config.backend !== 'sqlite') return undefined;
  const options = parseConnectionString(config.databaseUrl!, 'DATABASE_URL');
  return options.type === 'better-sqlite3' ? options.database : undefined;
}

/** Characters a shell takes literally in a word. */
const SAFE = /^[\w@%+=:,./-]+$/;
/** In `NAME=value` a shell expands no `*` (assignments skip pathname expansion). */
const ASSIGNMENT_SAFE = /^[\w@%+=:,./*-]+$/;

function quote(word: string, safe: RegExp): string {
  return safe.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
