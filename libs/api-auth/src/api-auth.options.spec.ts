import { GatekeeperConfigError } from '@gatekeeper/common';
import { resolveApiAuthOptions } from './api-auth.options';

describe('resolveApiAuthOptions', () => {
  it('applies the documented defaults', () => {
    expect(resolveApiAuthOptions({})).toEqual({
      keyPrefix: 'sk_',
      header: 'x-api-key',
      pepper: undefined,
      lastUsedIntervalMs: 60_000,
    });
  });

  it('lower-cases the header, as Node stores incoming header names', () => {
    expect(resolveApiAuthOptions({ header: 'X-Service-Token' }).header).toBe('x-service-token');
  });

  it.each([
    [{ keyPrefix: '' }, /keyPrefix/],
    [{ keyPrefix: 'sk.' }, /keyPrefix/],
    [{ header: 'x api key' }, /header must be an HTTP header name/],
    [{ header: 'Authorization' }, /Bearer <key>' is always accepted/],
    [{ pepper: '' }, /pepper must be a non-empty string/],
    [{ lastUsedInterval: -1 }, /lastUsedInterval/],
  ])('fails startup with a message saying what to change: %p', (options, message) => {
    expect(() => resolveApiAuthOptions(options)).toThrow(GatekeeperConfigError);
    expect(() => resolveApiAuthOptions(options)).toThrow(message);
  });
});
