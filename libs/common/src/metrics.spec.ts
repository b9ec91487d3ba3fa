import { register } from 'prom-client';
import { GatekeeperConfigError } from './errors';
import { metricsFor, prometheusMetrics, timedStorage, type GatekeeperMetrics } from './metrics';

describe('metricsFor', () => {
  afterEach(() => register.clear());

  it('is off unless the option is true, and refuses anything but a boolean', () => {
    expect(metricsFor(undefined)).toBeUndefined();
    expect(metricsFor(false)).toBeUndefined();
    expect(metricsFor(true)).toBeDefined();
    expect(() => metricsFor('yes')).toThrow(GatekeeperConfigError);
  });

  it('registers each metric once, however many modules turn metrics on', async () => {
    prometheusMetrics().apiKeyVerification('ok');
    prometheusMetrics().apiKeyVerification('ok');
    const text = await register.metrics();
    expect(text).toContain('gatekeeper_api_key_verifications_total{result="ok"} 2');
  });
});

describe('timedStorage', () => {
  const observed: Array<[string, string, string, number]> = [];
  const metrics: GatekeeperMetrics = {
    flagEvaluation: () => undefined,
    apiKeyVerification: () => undefined,
    cacheRequest: () => undefined,
    storageOperation: (module, backend, operation, seconds) =>
      observed.push([module, backend, operation, seconds]),
  };

  class Store {
    readonly name = 'store';
    async get(key: string): Promise<string> {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return `value of ${key}`;
    }
    async fail(): Promise<never> {
      throw new Error('down');
    }
    untimed(): string {
      return this.name;
    }
  }

  it('times the listed operations, failed ones included, and leaves the rest alone', async () => {
    const store = timedStorage(
      new Store(),
      ['get', 'fail'],
      { module: 'api_auth', backend: 'redis' },
      { metrics },
    );
    await expect(store.get('a')).resolves.toBe('value of a');
    await expect(store.fail()).rejects.toThrow('down');
    expect(store.untimed()).toBe('store');
    expect(store).toBeInstanceOf(Store);
    expect(observed.map(([m, b, o]) => [m, b, o])).toEqual([
      ['api_auth', 'redis', 'get'],
      ['api_auth', 'redis', 'fail'],
    ]);
    expect(observed[0][3]).toBeGreaterThan(0);
  });
});
