import { generateApiKey } from '@gatekeeper/api-auth';
import { jsonClient } from '../demo/support/http';
import type { Fixtures } from './corpus';
import { rawRequest, type RawResponse } from './raw-http';

/** What every case may refer to: keys, a flag with a rule and an override. */
export async function createFixtures(baseUrl: string, admin: string): Promise<Fixtures> {
  const http = jsonClient(baseUrl);
  const ok = <T extends { status: number }>(response: T, status: number, what: string): T => {
    if (response.status !== status) {
      throw new Error(`fixture ${what}: expected ${status}, got ${JSON.stringify(response)}`);
    }
    return response;
  };
  const customer = ok(
    await http('POST', '/admin/keys', {
      key: admin,
      body: { name: 'acme shop', ownerId: 'acme', scopes: ['orders:read', 'orders:write'] },
    }),
    201,
    'customer key',
  );
  const spare = ok(
    await http('POST', '/admin/keys', {
      key: admin,
      body: { name: 'spare', ownerId: 'spare', scopes: [] },
    }),
    201,
    'spare key',
  );
  const flag = ok(
    await http('POST', '/admin/flags', {
      key: admin,
      body: { key: 'attack_flag', rules: [{ name: 'first', rolloutPercentage: 50 }] },
    }),
    201,
    'flag',
  );
  ok(
    await http('PUT', '/admin/flags/attack_flag/overrides/user/acme', {
      key: admin,
      body: { enabled: true },
    }),
    200,
    'override',
  );
  return {
    admin,
    customer: customer.body.key,
    spareKeyId: spare.body.apiKey.id,
    unknownKey: generateApiKey(),
    flag: 'attack_flag',
    ruleId: flag.body.rules[0].id,
  };
}

/** A 5xx other than 503 (storage unavailable) is a server defect, whatever the request. */
export function isServerDefect(status: number): boolean {
  return status >= 500 && status !== 503;
}

/** One line for a failure message: the status and the start of the body. */
export function describeResponse(response: RawResponse): string {
  const body = response.body.length > 300 ? `${response.body.slice(0, 300)}…` : response.body;
  return `${response.status || response.failure} ${body}`;
}

/**
 * The server still serves: health answers (200, or 503 while a storage is down), and the public
 * flagged route answers 200 with a banner.
 */
export async function assertResponsive(
  baseUrl: string,
  healthStatuses: readonly number[] = [200],
): Promise<void> {
  const health = await rawRequest(baseUrl, { method: 'GET', path: '/health' });
  expect(healthStatuses).toContain(health.status);
  const catalog = await rawRequest(baseUrl, { method: 'GET', path: '/catalog/products' });
  expect(describeResponse(catalog)).toMatch(/^200 .*"banner":"/);
}
