import type { DataSource } from 'typeorm';
import { GatekeeperConfigError } from './errors';
import { validateStorageOptions, type StorageModuleOptions } from './storage-options';

const SPEC = {
  moduleName: 'TestModule',
  storageInterface: 'TestStorage',
  storageMethods: ['close'],
  redisReaders: [],
};
const database = { backend: 'database', connectionString: 'sqlite::memory:' } as const;

describe('validateStorageOptions: queryTimeout and acquireTimeout', () => {
  it('accepts whole milliseconds on the database backend', () => {
    expect(() =>
      validateStorageOptions({ ...database, queryTimeout: 500, acquireTimeout: 1 }, SPEC),
    ).not.toThrow();
  });

  it.each([
    [{ ...database, queryTimeout: 0 }, /queryTimeout must be a whole number of milliseconds/],
    [{ ...database, queryTimeout: 1.5 }, /queryTimeout must be a whole number/],
    [{ ...database, acquireTimeout: '2000' }, /acquireTimeout must be a whole number/],
    [{ ...database, acquireTimeout: 2 ** 31 }, /from 1 to 2147483647/],
    [
      { backend: 'redis', redisUrl: 'redis://h', queryTimeout: 500 },
      /only applies to the 'database'/,
    ],
    [
      { backend: 'database', dataSource: {} as DataSource, queryTimeout: 500 },
      /with dataSource, set the timeouts on your DataSource/,
    ],
  ])('fails startup with a message saying what to change: %p', (options, message) => {
    const validate = () => validateStorageOptions(options as StorageModuleOptions, SPEC);
    expect(validate).toThrow(GatekeeperConfigError);
    expect(validate).toThrow(message);
  });
});
