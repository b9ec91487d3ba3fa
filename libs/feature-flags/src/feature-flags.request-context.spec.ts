import { defaultContextResolver, resolveRequestContext } from './feature-flags.request-context';

describe('defaultContextResolver', () => {
  it('reads the user, client IP, user agent and country of a request', () => {
    const context = defaultContextResolver({
      user: { id: 'u-42' },
      headers: {
        'x-forwarded-for': '203.0.113.7, 10.0.0.1, 10.0.0.2',
        'user-agent': 'curl/8.5',
        'cf-ipcountry': 'de',
      },
      socket: { remoteAddress: '10.0.0.2' },
    });
    expect(context).toEqual({
      userId: 'u-42',
      targetingKey: 'u-42',
      ip: '203.0.113.7',
      userAgent: 'curl/8.5',
      country: 'DE',
    });
  });

  it('falls back to the socket address and X-Country-Code, and accepts numeric user ids', () => {
    const context = defaultContextResolver({
      user: { id: 7 },
      headers: { 'x-country-code': 'FR' },
      socket: { remoteAddress: '::1' },
    });
    expect(context).toEqual({ userId: '7', targetingKey: '7', ip: '::1', country: 'FR' });
  });

  it('prefers CF-IPCountry over X-Country-Code', () => {
    const context = defaultContextResolver({
      headers: { 'cf-ipcountry': 'NL', 'x-country-code': 'BE' },
    });
    expect(context.country).toBe('NL');
  });

  it('yields an empty context for an anonymous request without headers', () => {
    expect(defaultContextResolver({ headers: {} })).toEqual({});
    expect(defaultContextResolver(undefined)).toEqual({});
    expect(
      defaultContextResolver({ user: { id: '' }, headers: { 'x-forwarded-for': ' ' } }),
    ).toEqual({});
  });
});

describe('resolveRequestContext', () => {
  it('resolves a request once, however many times it is asked', async () => {
    let calls = 0;
    const options = { contextResolver: () => ({ userId: `call-${++calls}` }) };
    const request = {};
    expect(await resolveRequestContext(request, options)).toEqual({ userId: 'call-1' });
    expect(await resolveRequestContext(request, options)).toEqual({ userId: 'call-1' });
    expect(await resolveRequestContext({}, options)).toEqual({ userId: 'call-2' });
  });

  it('answers synchronously when the resolver is synchronous', () => {
    const request = { headers: { 'user-agent': 'curl/8.5' } };
    expect(resolveRequestContext(request, {})).toEqual({ userAgent: 'curl/8.5' });
    expect(resolveRequestContext(request, { contextResolver: () => ({ userId: 'u' }) })).toEqual({
      userId: 'u',
    });
  });

  it('turns a request the default resolver cannot read into a rejection, not a throw', async () => {
    const request = {
      get headers(): never {
        throw new Error('headers unavailable');
      },
    };
    await expect(resolveRequestContext(request, {})).rejects.toThrow('headers unavailable');
  });

  it('turns a resolver that throws into a rejection', async () => {
    const options = {
      contextResolver: () => {
        throw new Error('no session');
      },
    };
    await expect(resolveRequestContext({}, options)).rejects.toThrow('no session');
  });
});
