import { MissingDriverError } from './errors';

/**
 * Loads an optional peer dependency (typeorm, pg, mysql2, better-sqlite3, ioredis) only when the
 * backend that needs it is chosen, so a memory-only app never installs them.
 */
export function requireDriver<T>(packageName: string, backend: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional peer, loaded on demand
    return require(packageName) as T;
  } catch (error) {
    if (isModuleNotFound(error, packageName)) throw new MissingDriverError(packageName, backend);
    throw error;
  }
}

/** Throws MissingDriverError unless `packageName` can be resolved; loads nothing. */
export function assertDriverInstalled(packageName: string, backend: string): void {
  try {
    require.resolve(packageName);
  } catch {
    throw new MissingDriverError(packageName, backend);
  }
}

function isModuleNotFound(error: unknown, packageName: string): boolean {
  return (
    error instanceof Error &&
    (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
    error.message.includes(`'${packageName}'`)
  );
}
