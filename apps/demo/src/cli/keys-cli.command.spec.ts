import { loadDemoConfig } from '../config/demo.config';
import { keysCliCommand } from './keys-cli.command';

const LIST = ['list', '--owner-id', 'acme'];

describe('keysCliCommand: what the first start prints for npm run keys', () => {
  it('needs no variable on the default SQLite store', () => {
    expect(keysCliCommand(loadDemoConfig({}), LIST)).toEqual({
      reachable: true,
      command: 'npm run keys -- list --owner-id acme',
      redacted: false,
    });
  });

  it('names the backend and its URL, with the password left out', () => {
    const config = loadDemoConfig({
      GATEKEEPER_BACKEND: 'redis',
      REDIS_URL: 'redis://:s3cret@cache:6379/2',
      GATEKEEPER_REDIS_PREFIX: 'shop 1:',
    });
    expect(keysCliCommand(config, LIST)).toEqual({
      reachable: true,
      command:
        "GATEKEEPER_BACKEND=redis REDIS_URL=redis://:***@cache:6379/2 GATEKEEPER_REDIS_PREFIX='shop 1:' " +
        'npm run keys -- list --owner-id acme',
      redacted: true,
    });
    const postgres = loadDemoConfig({
      GATEKEEPER_BACKEND: 'postgres',
      DATABASE_URL: 'postgres://app:pw@db:5432/gk',
      GATEKEEPER_PEPPER: 'pepper!',
    });
    const printed = keysCliCommand(postgres, ['create', '--name', "bob's key"]);
    expect(printed).toEqual({
      reachable: true,
      command:
        'GATEKEEPER_BACKEND=postgres DATABASE_URL=postgres://app:***@db:5432/gk ' +
        "GATEKEEPER_PEPPER=*** npm run keys -- create --name 'bob'\\''s key'",
      redacted: true,
    });
    expect(JSON.stringify(printed)).not.toMatch(/pw@|pepper!/);
  });

  it('names the setting that puts the store out of its reach', () => {
    expect(keysCliCommand(loadDemoConfig({ GATEKEEPER_BACKEND: 'memory' }), LIST)).toEqual({
      reachable: false,
      setting: 'GATEKEEPER_BACKEND=memory',
    });
    expect(keysCliCommand(loadDemoConfig({ DATABASE_URL: 'sqlite::memory:' }), LIST)).toEqual({
      reachable: false,
      setting: 'DATABASE_URL=sqlite::memory:',
    });
  });
});
