import { redactSecrets } from '@gatekeeper/common';

/** Where the demo keeps flags and keys. `memory` forgets everything on restart. */
export const DEMO_BACKENDS = ['sqlite', 'postgres', 'mysql', 'redis', 'memory'] as const;
export type DemoBackend = (typeof DEMO_BACKENDS)[number];

export const DEFAULT_PORT = 3000;
/** Relative to the working directory: `npm start` runs from the repository root. */
export const DEFAULT_SQLITE_URL = 'sqlite:./data/gatekeeper.sqlite';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/0';
/** The environment flags are evaluated in; the first start creates it (and `staging` below it). */
export const DEFAULT_ENVIRONMENT = 'production';
/** Seconds between two checks for due scheduled changes: short, so the tour's change lands at once. */
export const DEFAULT_SCHEDULER_INTERVAL = 1;
/** What the library accepts as an environment slug. */
export const ENVIRONMENT_SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The demo's settings, read once from the environment by `loadDemoConfig()`. */
export interface DemoConfig {
  port: number;
  backend: DemoBackend;
  /** backend sqlite, postgres or mysql: the connection string both modules use. */
  databaseUrl?: string;
  /** backend redis: the server both modules use. */
  redisUrl?: string;
  /** backend redis: put in front of each module's key namespace, so several demos can share a server. */
  redisPrefix: string;
  /** HMAC secret for key hashes; see docs/security.md. */
  pepper?: string;
  /** The slug of the environment every evaluation uses. Default `DEFAULT_ENVIRONMENT`. */
  environment?: string;
  /** Seconds between the scheduler's checks. Default `DEFAULT_SCHEDULER_INTERVAL`. */
  schedulerInterval?: number;
}

/** A setting the demo cannot start with; the message names the variable to change. */
export class DemoConfigError extends Error {
  override readonly name = 'DemoConfigError';
}

const DATABASE_SCHEMES: Record<'sqlite' | 'postgres' | 'mysql', RegExp> = {
  sqlite: /^sqlite:/i,
  postgres: /^postgres(ql)?:\/\//i,
  mysql: /^(mysql|mariadb):\/\//i,
};

const DATABASE_EXAMPLES: Record<'sqlite' | 'postgres' | 'mysql', string> = {
  sqlite: 'sqlite:./data/gatekeeper.sqlite',
  postgres: 'postgres://user:password@localhost:5432/gatekeeper',
  mysql: 'mysql://user:password@localhost:3306/gatekeeper',
};

/**
 * Reads the demo's environment: `GATEKEEPER_BACKEND`, `DATABASE_URL`, `REDIS_URL`,
 * `GATEKEEPER_REDIS_PREFIX`, `GATEKEEPER_PEPPER`, `GATEKEEPER_ENVIRONMENT`,
 * `GATEKEEPER_SCHEDULER_INTERVAL` and `PORT` (see docs/configuration.md).
 * @throws DemoConfigError naming the variable to fix; connection strings are quoted without passwords.
 */
export function loadDemoConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const backend = readBackend(env.GATEKEEPER_BACKEND);
  const config: DemoConfig = {
    port: readPort(env.PORT),
    backend,
    redisPrefix: env.GATEKEEPER_REDIS_PREFIX ?? '',
  };

  if (backend === 'sqlite' || backend === 'postgres' || backend === 'mysql') {
    config.databaseUrl = readDatabaseUrl(backend, nonEmpty(env.DATABASE_URL));
  }
  if (backend === 'redis') {
    const url = nonEmpty(env.REDIS_URL) ?? DEFAULT_REDIS_URL;
    if (!/^rediss?(\+sentinel)?:\/\//i.test(url)) {
      throw new DemoConfigError(
        `REDIS_URL must be a redis://, rediss:// or redis+sentinel:// URL (got ${quote(url)})`,
      );
    }
    config.redisUrl = url;
  }

  if (env.GATEKEEPER_PEPPER !== undefined) {
    if (env.GATEKEEPER_PEPPER.trim() === '') {
      throw new DemoConfigError('GATEKEEPER_PEPPER is set but empty: unset it or give a secret');
    }
    config.pepper = env.GATEKEEPER_PEPPER;
  }
  const environment = nonEmpty(env.GATEKEEPER_ENVIRONMENT);
  if (environment !== undefined) config.environment = readEnvironment(environment);
  const interval = nonEmpty(env.GATEKEEPER_SCHEDULER_INTERVAL);
  if (interval !== undefined) config.schedulerInterval = readSchedulerInterval(interval);
  return config;
}

/** What the log may say about the storage in use: the backend and its address, never a password. */
export function describeStorage(config: DemoConfig): string {
  if (config.backend === 'memory') return 'memory (forgotten on restart)';
  const url = config.backend === 'redis' ? config.redisUrl : config.databaseUrl;
  return `${config.backend} at ${redactSecrets(url ?? '')}`;
}

function readBackend(value: string | undefined): DemoBackend {
  const backend = nonEmpty(value)?.toLowerCase() ?? 'sqlite';
  if (!(DEMO_BACKENDS as readonly string[]).includes(backend)) {
    throw new DemoConfigError(
      `GATEKEEPER_BACKEND must be one of ${DEMO_BACKENDS.join(', ')} (got ${JSON.stringify(value)})`,
    );
  }
  return backend as DemoBackend;
}

function readPort(value: string | undefined): number {
  const text = nonEmpty(value);
  if (text === undefined) return DEFAULT_PORT;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new DemoConfigError(
      `PORT must be a TCP port number, 0–65535 (got ${JSON.stringify(value)})`,
    );
  }
  return port;
}

function readEnvironment(slug: string): string {
  if (!ENVIRONMENT_SLUG.test(slug)) {
    throw new DemoConfigError(
      'GATEKEEPER_ENVIRONMENT must be an environment slug: 1–64 lowercase letters, digits, "-" ' +
        `or "_", starting with a letter or digit (got ${JSON.stringify(slug)})`,
    );
  }
  return slug;
}

function readSchedulerInterval(text: string): number {
  const seconds = Number(text);
  // The library's bounds: more than 0, at most a day.
  if (!/^\d+(\.\d+)?$/.test(text) || !(seconds > 0) || seconds > 86_400) {
    throw new DemoConfigError(
      `GATEKEEPER_SCHEDULER_INTERVAL must be a number of seconds, more than 0 and at most 86400 (got ${JSON.stringify(text)})`,
    );
  }
  return seconds;
}

function readDatabaseUrl(
  backend: 'sqlite' | 'postgres' | 'mysql',
  url: string | undefined,
): string {
  if (url === undefined) {
    if (backend === 'sqlite') return DEFAULT_SQLITE_URL;
    throw new DemoConfigError(
      `DATABASE_URL is required when GATEKEEPER_BACKEND is ${backend}, e.g. ${DATABASE_EXAMPLES[backend]}`,
    );
  }
  if (!DATABASE_SCHEMES[backend].test(url)) {
    throw new DemoConfigError(
      `DATABASE_URL ${quote(url)} does not fit GATEKEEPER_BACKEND=${backend}: ` +
        `expected something like ${DATABASE_EXAMPLES[backend]}`,
    );
  }
  return url;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function quote(url: string): string {
  return JSON.stringify(redactSecrets(url));
}
