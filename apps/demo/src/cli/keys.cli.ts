import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiKeyService, type ApiKey } from '@gatekeeper/api-auth';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { keyStatus } from '../common/api-key.view';
import type { DemoConfig } from '../config/demo.config';
import { CliModule } from './cli.module';

export const USAGE = `Usage: npm run keys -- <command> [options]

  create --owner <id> --scopes <scope,scope> [--name <label>] [--expires-in-days <n>]
  list   --owner <id>
  revoke <key-id>
  rotate <key-id> [--grace-seconds <n>]

Works on the storage npm start uses (GATEKEEPER_BACKEND, DATABASE_URL, REDIS_URL,
GATEKEEPER_PEPPER). A new key goes to stdout, alone, exactly once; everything else to stderr,
so KEY=$(npm run -s keys -- create --owner acme --scopes orders:read) captures just the key.
`;

export interface CliStreams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** A mistake in the command line: print it with the usage, exit 2. */
class UsageError extends Error {}

/** A command parses its arguments before any connection opens, then runs on the service. */
interface Command<Input> {
  parse(args: string[]): Input;
  run(apiKeys: ApiKeyService, input: Input, io: CliStreams): Promise<void>;
}

const command = <Input>(definition: Command<Input>) => definition as Command<unknown>;

const COMMANDS: Record<string, Command<unknown>> = {
  create: command({ parse: parseCreate, run: create }),
  list: command({ parse: parseList, run: list }),
  revoke: command({ parse: (args) => parseId(args, {}).id, run: revoke }),
  rotate: command({ parse: parseRotate, run: rotate }),
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

  if (config.backend === 'memory') {
    io.stderr(
      'GATEKEEPER_BACKEND=memory keeps keys inside the server process, out of reach of this CLI: ' +
        'use the HTTP admin routes (/admin/keys), or a sqlite, postgres, mysql or redis backend.\n',
    );
    return 2;
  }

  let app: INestApplicationContext | undefined;
  try {
    // Errors are reported below, once; abortOnError: false lets startup failures get there.
    app = await NestFactory.createApplicationContext(CliModule.forRoot(config), {
      logger: false,
      abortOnError: false,
    });
    await selected.run(app.get(ApiKeyService), input, io);
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
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function parseCreate(args: string[]) {
  const { values, positionals } = parse(args, {
    owner: { type: 'string' },
    scopes: { type: 'string' },
    name: { type: 'string' },
    'expires-in-days': { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`);
  if (!values.owner) throw new UsageError('create needs --owner <id>.');
  if (values.scopes === undefined) throw new UsageError('create needs --scopes <scope,scope>.');
  const scopes = values.scopes
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  let expiresAt: Date | undefined;
  if (values['expires-in-days'] !== undefined) {
    const days = Number(values['expires-in-days']);
    if (!Number.isFinite(days) || days <= 0) {
      throw new UsageError('--expires-in-days must be a positive number.');
    }
    expiresAt = new Date(Date.now() + days * 24 * 3600 * 1000);
  }
  return { ownerId: values.owner, scopes, name: values.name ?? `${values.owner} (cli)`, expiresAt };
}

function parseList(args: string[]) {
  const { values, positionals } = parse(args, { owner: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`);
  if (!values.owner) throw new UsageError('list needs --owner <id>.');
  return values.owner;
}

function parseId<const T extends Options>(args: string[], options: T) {
  const parsed = parse(args, options);
  if (parsed.positionals.length !== 1) throw new UsageError('Give exactly one key id.');
  return { id: parsed.positionals[0], values: parsed.values };
}

function parseRotate(args: string[]) {
  const { id, values } = parseId(args, { 'grace-seconds': { type: 'string' } });
  const grace = values['grace-seconds'];
  const gracePeriodSeconds = grace === undefined ? 0 : Number(grace);
  if (
    typeof grace === 'boolean' ||
    !Number.isInteger(gracePeriodSeconds) ||
    gracePeriodSeconds < 0
  ) {
    throw new UsageError('--grace-seconds must be a whole number of seconds, 0 or more.');
  }
  return { id, gracePeriodSeconds };
}

async function create(
  apiKeys: ApiKeyService,
  input: ReturnType<typeof parseCreate>,
  io: CliStreams,
): Promise<void> {
  const { key, apiKey } = await apiKeys.create(input);
  io.stderr(
    `Created key ${apiKey.id} (${apiKey.prefix}…) for owner ${apiKey.ownerId}, ` +
      `scopes: ${apiKey.scopes.join(', ') || '(none)'}.\n` +
      'The key is printed below this once; only its hash is stored:\n',
  );
  io.stdout(`${key}\n`);
}

async function list(apiKeys: ApiKeyService, ownerId: string, io: CliStreams): Promise<void> {
  const keys: ApiKey[] = [];
  for await (const apiKey of apiKeys.listByOwner(ownerId)) keys.push(apiKey);
  if (keys.length === 0) {
    io.stderr(`No keys for owner ${ownerId}.\n`);
    return;
  }
  keys.sort((a, b) => new Date(a.createdAt).getTime() - new Date(b.createdAt).getTime());
  const rows = keys.map((apiKey) => [
    apiKey.id,
    `${apiKey.prefix}…`,
    keyStatus(apiKey),
    apiKey.scopes.join(',') || '-',
    isoDate(apiKey.createdAt),
    apiKey.lastUsedAt ? isoDate(apiKey.lastUsedAt) : '-',
    apiKey.name,
  ]);
  io.stdout(table(['ID', 'PREFIX', 'STATUS', 'SCOPES', 'CREATED', 'LAST USED', 'NAME'], rows));
}

async function revoke(apiKeys: ApiKeyService, id: string, io: CliStreams): Promise<void> {
  const apiKey = await apiKeys.revoke(id);
  io.stderr(`Revoked key ${apiKey.id} (${apiKey.prefix}…) of owner ${apiKey.ownerId}.\n`);
}

async function rotate(
  apiKeys: ApiKeyService,
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
