import { assertNoRenamedOptions, GatekeeperConfigError, MissingDriverError } from './errors';

/** A second, independent copy of this module: what an app holds when it installs both packages. */
function otherCopy(): typeof import('./errors') {
  let copy: typeof import('./errors') | undefined;
  jest.isolateModules(() => {
    copy = jest.requireActual<typeof import('./errors')>('./errors');
  });
  return copy!;
}

describe('error classes shared by both packages', () => {
  const other = otherCopy();

  it('are really two classes in the two copies (what the next tests rely on)', () => {
    expect(other.GatekeeperConfigError).not.toBe(GatekeeperConfigError);
    expect(other.MissingDriverError).not.toBe(MissingDriverError);
    expect(Object.getPrototypeOf(new other.GatekeeperConfigError('x'))).not.toBe(
      GatekeeperConfigError.prototype,
    );
  });

  it('recognise an error thrown by the other copy with instanceof', () => {
    const config = new other.GatekeeperConfigError('tablePrefix may only contain letters');
    const driver = new other.MissingDriverError('ioredis', 'redis');
    expect(config).toBeInstanceOf(GatekeeperConfigError);
    expect(driver).toBeInstanceOf(GatekeeperConfigError);
    expect(driver).toBeInstanceOf(MissingDriverError);
    expect(config).toBeInstanceOf(Error);
    // And the other way round.
    expect(new MissingDriverError('pg', 'database')).toBeInstanceOf(other.MissingDriverError);
  });

  it('tell the classes apart', () => {
    expect(new other.GatekeeperConfigError('x')).not.toBeInstanceOf(MissingDriverError);
    expect(new GatekeeperConfigError('x')).not.toBeInstanceOf(other.MissingDriverError);
    expect(new Error('x')).not.toBeInstanceOf(GatekeeperConfigError);
    for (const value of [
      null,
      undefined,
      'GatekeeperConfigError',
      {},
      { name: 'MissingDriverError' },
    ]) {
      expect(value instanceof GatekeeperConfigError).toBe(false);
      expect(value instanceof MissingDriverError).toBe(false);
    }
  });

  it('keep instanceof working for subclasses declared elsewhere', () => {
    class RetryableConfigError extends GatekeeperConfigError {}
    const mine = new RetryableConfigError('x');
    expect(mine).toBeInstanceOf(RetryableConfigError);
    expect(mine).toBeInstanceOf(GatekeeperConfigError);
    expect(mine).toBeInstanceOf(other.GatekeeperConfigError);
    // A base-class error is not an instance of the subclass, from either copy.
    expect(new GatekeeperConfigError('x')).not.toBeInstanceOf(RetryableConfigError);
    expect(new other.GatekeeperConfigError('x')).not.toBeInstanceOf(RetryableConfigError);
    expect(new MissingDriverError('pg', 'database')).not.toBeInstanceOf(RetryableConfigError);
  });

  it('keep their message, name and fields, and show no brand in logs or JSON', () => {
    const error = new other.MissingDriverError('ioredis', 'redis');
    expect(error.name).toBe('MissingDriverError');
    expect(error.message).toBe('install ioredis to use the redis backend (npm install ioredis)');
    expect({ ...error }).toEqual({
      name: 'MissingDriverError',
      packageName: 'ioredis',
      backend: 'redis',
    });
    expect(Object.keys(error)).not.toContainEqual(expect.stringContaining('gatekeeper'));
  });
});

describe('assertNoRenamedOptions', () => {
  it('names the new option of a renamed one', () => {
    expect(() =>
      assertNoRenamedOptions({ cache: { ttl: 5 } }, { cache: 'localCache' }, '0.2.0'),
    ).toThrow(new GatekeeperConfigError('`cache` was renamed `localCache` in 0.2.0'));
    expect(() =>
      assertNoRenamedOptions({ localCache: { ttl: 5 } }, { cache: 'localCache' }, '0.2.0'),
    ).not.toThrow();
  });
});
