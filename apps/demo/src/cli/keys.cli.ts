import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiKeyService } from '@gatekeeper/api-auth';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { keyStatus } from '../common/api-key.view';
import type { DemoConfig } from '../config/demo.config';
import { DEFAULT_PAGE_SIZE, KeyListing, MAX_PAGE_SIZE } from '../key-listing/key-listing';
import { CliModule } from './cli.module';
import { refuseAfterConnecting, refuseBeforeConnecting } from './demo-store';

export const USAGE = `Usage: npm run keys -- <command> [options]

  create --owner-id <id> --scopes <scope,scope> [--name <label>] [--expires-at <date-time>]
  list   [--owner-id <id>] [--limit <n>] [--cursor <cursor>]
  revoke <key-id>
  rotate <key-id> [--grace-period-seconds <n>]

The options are the field names of the HTTP API (ownerId, scopes, name, expiresAt, limit, cursor,
gracePeriodSeconds). list without --owner-id lists every key, ${DEFAULT_PAGE_SIZE} a page by default;
when there are more it prints the command for the next page.

Works on the store of the server, so give it the server's variables (GATEKEEPER_BACKEND,
DATABASE_URL, REDIS_URL, GATEKEEPER_REDIS_PREFIX, GATEKEEPER_PEPPER): the server's first start
prints the command line. A new key goes to stdout, alone, exactly once; everything else to
stderr, so KEY=$(npm run -s keys -- create --owner-id acme --scopes orders:read) captures just the key.
`;

export interface CliStreams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** A mistake in the command line: print it with the usage, exit 2. */
class UsageError extends Error {}

/** What a command works with. */
interface Services {
  apiKeys: ApiKeyService;
  listing: KeyListing;
}

/** A command parses its arguments before any connection opens, then runs on the services. */
interface Command<Input> {
  parse(args: string[]): Input;
  run(services: Services, input: Input, io: CliStreams): Promise<void>;
}

const command = <Input>(definition: Command<Input>) => definition as Command<unknown>;

const COMMANDS: Record<string, Command<unknown>> = {
  create: command({ parse: parseCreate, run: create }),
  list: command({ parse: parseList, run: list }),
  revoke: command({ parse: (args) => parseId(args, {}).id, run: revoke }),
  rotate: command({ parse: parseRotate, run: rotate }),
};

/** Options that were renamed to the HTTP API's names, and what they are called now. */
const RENAMED_OPTIONS: Record<string, string> = {
  '--owner': '--owner-id',
  '--grace-seconds': '--grace-period-seconds',
  '--expires-in-days': '--expires-at <date-time>',
};

/** Runs one CLI command; resolves to the process exit code. */
export async function runKeysCli(
  argv: string[],
  config: DemoConfig,
  io: CliStreams,
): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout)(USAGE);
    return name === undefined ? 2 : 0;
  }
  const selected = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!selected) {
    io.stderr(`Unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }

  let input: unknown;
  try {
    input = selected.parse(args);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }

  const refused = refuseBeforeConnecting(config);
  if (refused !== undefined) {
    io.stderr(`${refused}\n`);
    return 2;
  }

  let app: INestApplicationContext | undefined;
  try {
    // Errors are reported below, once; abortOnError: false lets startup failures get there.
    app = await NestFactory.createApplicationContext(CliModule.forRoot(config), {
      logger: false,
      abortOnError: false,
    });
    const apiKeys = app.get(ApiKeyService);
    const refusedStore = await refuseAfterConnecting(config, apiKeys);
    if (refusedStore !== undefined) {
      io.stderr(`${refusedStore}\n`);
      return 2;
    }
    await selected.run({ apiKeys, listing: app.get(KeyListing) }, input, io);
    return 0;
  } catch (error) {
    io.stderr(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await app?.close();
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

function parse<const T extends Options>(args: string[], options: T) {
  for (const arg of args) {
    const renamed = RENAMED_OPTIONS[arg.split('=')[0]];
    if (renamed !== undefined) {
      throw new UsageError(`${arg.split('=')[0]} is now ${renamed}, like the HTTP API's field.`);
    }
  }
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function parseCreate(args: string[]) {
  const { values, positionals } = parse(args, {
    'owner-id': { type: 'string' },
    scopes: { type: 'string' },
    name: { type: 'string' },
    'expires-at': { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`);
  const ownerId = values['owner-id'];
  if (!ownerId) throw new UsageError('create needs --owner-id <id>.');
  if (values.scopes === undefined) throw new UsageError('create needs --scopes <scope,scope>.');
  const scopes = values.scopes
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  let expiresAt: Date | undefined;
  if (values['expires-at'] !== undefined) {
    expiresAt = new Date(values['expires-at']);
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()) {
      throw new UsageError(
        '--expires-at must be a future ISO 8601 date or date-time, e.g. 2030-01-31 or 2030-01-31T12:00:00Z.',
      );
    }
  }
  return { ownerId, scopes, name: values.name ?? `${ownerId} (cli)`, expiresAt };
}

function parseList(args: string[]) {
  const { values, positionals } = parse(args, {
    'owner-id': { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`);
  if (values['owner-id'] === '') throw new UsageError('--owner-id needs an owner id.');
  const limit = values.limit === undefined ? DEFAULT_PAGE_SIZE : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return { ownerId: values['owner-id'], limit, cursor: values.cursor };
}

function parseId<const T extends Options>(args: string[], options: T) {
  const parsed = parse(args, options);
  if (parsed.positionals.length !== 1) throw new UsageError('Give exactly one key id.');
  return { id: parsed.positionals[0], values: parsed.values };
}

function parseRotate(args: string[]) {
  const { id, values } = parseId(args, { 'grace-period-seconds': { type: 'string' } });
  const grace = values['grace-period-seconds'];
  const gracePeriodSeconds = grace === undefined ? 0 : Number(grace);
  if (
    typeof grace === 'boolean' ||
    !Number.isInteger(gracePeriodSeconds) ||
    gracePeriodSeconds < 0
  ) {
    throw new UsageError('--grace-period-seconds must be a whole number of seconds, 0 or more.');
  }
  return { id, gracePeriodSeconds };
}

async function create(
  { apiKeys }: Services,
  input: ReturnType<typeof parseCreate>,
  io: CliStreams,
): Promise<void> {
  const { key, apiKey } = await apiKeys.create(input);
  io.stderr(
    `Created key ${apiKey.id} (${apiKey.prefix}…) for owner ${apiKey.ownerId}, ` +
      `scopes: ${apiKey.scopes.join(', ') || '(none)'}` +
      (apiKey.expiresAt ? `, expires at ${isoDate(apiKey.expiresAt)}.\n` : '.\n') +
      'The key is printed below this once; only its hash is stored:\n',
  );
  io.stdout(`${key}\n`);
}

async function list(
  { listing }: Services,
  request: ReturnType<typeof parseList>,
  io: CliStreams,
): Promise<void> {
  const { items, nextCursor } = await listing.page(request);
  if (items.length === 0) {
    io.stderr(
      request.ownerId === undefined ? 'No keys.\n' : `No keys for owner ${request.ownerId}.\n`,
    );
  } else {
    const rows = items.map((apiKey) => [
      apiKey.id,
      `${apiKey.prefix}…`,
      apiKey.ownerId,
      keyStatus(apiKey),
      apiKey.scopes.join(',') || '-',
      isoDate(apiKey.createdAt),
      apiKey.expiresAt ? isoDate(apiKey.expiresAt) : '-',
      apiKey.lastUsedAt ? isoDate(apiKey.lastUsedAt) : '-',
      apiKey.name,
    ]);
    const header = ['ID', 'PREFIX', 'OWNER', 'STATUS', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED'];
    io.stdout(table([...header, 'NAME'], rows));
  }
  if (nextCursor !== null) {
    const owner = request.ownerId === undefined ? '' : ` --owner-id ${request.ownerId}`;
    const limit = request.limit === DEFAULT_PAGE_SIZE ? '' : ` --limit ${request.limit}`;
    io.stderr(`More keys: npm run keys -- list${owner}${limit} --cursor ${nextCursor}\n`);
  }
}

async function revoke({ apiKeys }: Services, id: string, io: CliStreams): Promise<void> {
  const apiKey = await apiKeys.revoke(id);
  io.stderr(`Revoked key ${apiKey.id} (${apiKey.prefix}…) of owner ${apiKey.ownerId}.\n`);
}

async function rotate(
  { apiKeys }: Services,
  { id, gracePeriodSeconds }: ReturnType<typeof parseRotate>,
  io: CliStreams,
): Promise<void> {
  const { key, apiKey, previous } = await apiKeys.rotate(id, { gracePeriodSeconds });
  io.stderr(
    `Rotated key ${previous.id}: it stops working at ${isoDate(previous.expiresAt!)}.\n` +
      `New key ${apiKey.id} (${apiKey.prefix}…), printed below this once:\n`,
  );
  io.stdout(`${key}\n`);
}

function isoDate(value: Date | string): string {
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
