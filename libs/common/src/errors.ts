/**
 * Raised while a module starts, when an option cannot work. The message says what to change and
 * never carries a password: these errors end up in deployment logs.
 */
export class GatekeeperConfigError extends Error {
  override readonly name: string = 'GatekeeperConfigError';
}

/** A backend was chosen whose driver package is not installed (drivers are optional peers). */
export class MissingDriverError extends GatekeeperConfigError {
  override readonly name = 'MissingDriverError';

  constructor(
    readonly packageName: string,
    readonly backend: string,
  ) {
    super(`install ${packageName} to use the ${backend} backend (npm install ${packageName})`);
  }
}
