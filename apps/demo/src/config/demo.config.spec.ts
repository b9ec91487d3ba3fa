import { DemoConfigError, describeStorage, loadDemoConfig } from './demo.config';

describe('loadDemoConfig', () => {
  it('defaults to SQLite under ./data on port 3000: npm start needs no server', () => {
    expect(loadDemoConfig({})).toEqual({
      port: 3000,
      backend: 'sqlite',
      databaseUrl: 'sqlite:./data/gatekeeper.sqlite',
      redisPrefix: '',
    });
  });

  it('reads every variable', () => {
    expect(
      loadDemoConfig({
        GATEKEEPER_BACKEND: 'Redis',
        REDIS_URL: 'redis://cache:6379/2',
        GATEKEEPER_REDIS_PREFIX: 'shop1:',
        GATEKEEPER_PEPPER: 'secret',
        GATEKEEPER_ENVIRONMENT: 'staging',
        GATEKEEPER_SCHEDULER_INTERVAL: '0.5',
        PORT: '8080',
        DATABASE_URL: 'postgres://ignored@db/x',
      }),
    ).toEqual({
      port: 8080,
      backend: 'redis',
      redisUrl: 'redis://cache:6379/2',
      redisPrefix: 'shop1:',
      pepper: 'secret',
      environment: 'staging',
      schedulerInterval: 0.5,
    });
    expect(
      loadDemoConfig({ GATEKEEPER_BACKEND: 'mysql', DATABASE_URL: 'mariadb://u:p@db/shop' }),
    ).toMatchObject({ backend: 'mysql', databaseUrl: 'mariadb://u:p@db/shop' });
  });

  it.each([
    [{ GATEKEEPER_BACKEND: 'mongo' }, 'GATEKEEPER_BACKEND must be one of sqlite, postgres'],
    [
      { GATEKEEPER_BACKEND: 'postgres' },
      'DATABASE_URL is required when GATEKEEPER_BACKEND is postgres',
    ],
    [{ PORT: 'http' }, 'PORT must be a TCP port number'],
    [{ PORT: '70000' }, 'PORT must be a TCP port number'],
    [{ GATEKEEPER_PEPPER: ' ' }, 'GATEKEEPER_PEPPER is set but empty'],
    [{ GATEKEEPER_BACKEND: 'redis', REDIS_URL: 'localhost:6379' }, 'REDIS_URL must be a redis://'],
    [
      { GATEKEEPER_ENVIRONMENT: 'Production' },
      'GATEKEEPER_ENVIRONMENT must be an environment slug',
    ],
    [{ GATEKEEPER_SCHEDULER_INTERVAL: '0' }, 'GATEKEEPER_SCHEDULER_INTERVAL must be a number'],
    [{ GATEKEEPER_SCHEDULER_INTERVAL: '1s' }, 'GATEKEEPER_SCHEDULER_INTERVAL must be a number'],
    [{ GATEKEEPER_SCHEDULER_INTERVAL: '90000' }, 'GATEKEEPER_SCHEDULER_INTERVAL must be a number'],
  ])('refuses %j', (env, message) => {
    expect(() => loadDemoConfig(env)).toThrow(DemoConfigError);
    expect(() => loadDemoConfig(env)).toThrow(message);
  });

  it('never repeats a password it complains about', () => {
    const env = { GATEKEEPER_BACKEND: 'mysql', DATABASE_URL: 'postgres://app:hunter2@db/shop' };
    expect(() => loadDemoConfig(env)).toThrow('does not fit GATEKEEPER_BACKEND=mysql');
    expect(() => loadDemoConfig(env)).not.toThrow(/hunter2/);
    const config = loadDemoConfig({
      GATEKEEPER_BACKEND: 'postgres',
      DATABASE_URL: 'postgres://app:hunter2@db/shop',
    });
    expect(describeStorage(config)).toBe('postgres at postgres://app:***@db/shop');
  });
});
