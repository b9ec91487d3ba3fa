/*
 * Each published package bundles its own copy of this file, so an application using both holds two
 * `GatekeeperConfigError` classes. A plain `instanceof` would tell them apart; these classes instead
 * recognise their instances by a brand registered under `Symbol.for` (shared by every copy and
 * version), while subclasses declared elsewhere keep the ordinary prototype check.
 */
const CONFIG_ERROR_BRAND = Symbol.for('gatekeeper.GatekeeperConfigError');
const MISSING_DRIVER_ERROR_BRAND = Symbol.for('gatekeeper.MissingDriverError');

function brand(error: Error, symbol: symbol): void {
  Object.defineProperty(error, symbol, { value: true });
}

/**
 * `instanceof` for a branded class: for `owner` itself, any object carrying `symbol`; for a class
 * extending it, the prototype chain as usual.
 */
function isBrandedInstance(
  constructor: abstract new (...args: never[]) => unknown,
  owner: abstract new (...args: never[]) => unknown,
  symbol: symbol,
  value: unknown,
): boolean {
  if (constructor !== owner) return Function.prototype[Symbol.hasInstance].call(constructor, value);
  return typeof value === 'object' && value !== null && symbol in value;
}

/**
 * Raised while a module starts, when an option cannot work. The message says what to change and
 * never carries a password: these errors end up in deployment logs.
 */
export class GatekeeperConfigError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBrandedInstance(this, GatekeeperConfigError, CONFIG_ERROR_BRAND, value);
  }

  override readonly name: string = 'GatekeeperConfigError';

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    brand(this, CONFIG_ERROR_BRAND);
  }
}

/** A backend was chosen whose driver package is not installed (drivers are optional peers). */
export class MissingDriverError extends GatekeeperConfigError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBrandedInstance(this, MissingDriverError, MISSING_DRIVER_ERROR_BRAND, value);
  }

  override readonly name = 'MissingDriverError';

  constructor(
    readonly packageName: string,
    readonly backend: string,
  ) {
    super(`install ${packageName} to use the ${backend} backend (npm install ${packageName})`);
    brand(this, MISSING_DRIVER_ERROR_BRAND);
  }
}

/**
 * Fails startup when `options` still uses an option name that `version` renamed (old → new):
 * JavaScript callers get no compiler error, and an ignored option would silently turn a feature off.
 */
export function assertNoRenamedOptions(
  options: object,
  renamed: Readonly<Record<string, string>>,
  version: string,
): void {
  for (const [name, to] of Object.entries(renamed)) {
    if ((options as Record<string, unknown>)[name] !== undefined) {
      throw new GatekeeperConfigError(`\`${name}\` was renamed \`${to}\` in ${version}`);
    }
  }
}
