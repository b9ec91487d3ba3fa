import { uniqueName } from '../harness/servers';
import { describeResponse, isServerDefect } from './attack-fixtures';
import type { Fixtures } from './corpus';
import { rawRequest, type RawRequest, type RawResponse } from './raw-http';

/** One round of a small load loop: what users of each kind keep sending during an outage. */
export function loadRound(fixtures: Fixtures): Array<[name: string, request: () => RawRequest]> {
  const customer = (path: string): RawRequest => ({
    method: 'GET',
    path,
    headers: [['x-api-key', fixtures.customer]],
  });
  return [
    ['GET /me', () => customer('/me')],
    ['GET /orders', () => customer('/orders')],
    ['GET /catalog/products', () => ({ method: 'GET', path: '/catalog/products' })],
    ['GET /health', () => ({ method: 'GET', path: '/health' })],
    [
      'GET /admin/flags/attack_flag',
      () => ({
        method: 'GET',
        path: '/admin/flags/attack_flag',
        headers: [['x-api-key', fixtures.admin]],
      }),
    ],
    [
      'POST /admin/flags',
      () => ({
        method: 'POST',
        path: '/admin/flags',
        headers: [
          ['x-api-key', fixtures.admin],
          ['content-type', 'application/json'],
        ],
        body: JSON.stringify({ key: uniqueName('outage_') }),
      }),
    ],
  ];
}

/** `during`: rounds in flight while the storage goes away. */
export type Phase = 'before' | 'during' | 'after';

/** Fires rounds of `loadRound` and keeps every answer with its phase. */
export class LoadLoop {
  readonly seen: Array<{ name: string; phase: Phase; response: RawResponse }> = [];
  private readonly round: ReturnType<typeof loadRound>;

  constructor(
    private readonly baseUrl: string,
    fixtures: Fixtures,
  ) {
    this.round = loadRound(fixtures);
  }

  async fire(phase: Phase): Promise<void> {
    const responses = await Promise.all(
      this.round.map(([, request]) => rawRequest(this.baseUrl, request())),
    );
    responses.forEach((response, i) => this.seen.push({ name: this.round[i][0], phase, response }));
  }

  /**
   * Fires rounds back to back (`parallel` at a time) until `outage` settles, so that requests
   * are in flight at every stage of it: past auth, mid-write, on a closing connection.
   */
  async fireThrough(outage: Promise<unknown>, parallel = 3, maxRounds = 60): Promise<void> {
    let settled = false;
    const done = outage.finally(() => (settled = true));
    for (let i = 0; i < maxRounds && !settled; i++) {
      await Promise.all(Array.from({ length: parallel }, () => this.fire('during')));
    }
    await done;
  }

  /** Unanswered requests and 5xx other than 503, one line each. */
  defects(): string[] {
    return this.seen
      .filter(({ response }) => response.status === 0 || isServerDefect(response.status))
      .map(({ name, phase, response }) => `${phase} ${name}: ${describeResponse(response)}`);
  }

  statuses(phase: Phase, name?: string): number[] {
    return this.seen
      .filter((entry) => entry.phase === phase && (name === undefined || entry.name === name))
      .map((entry) => entry.response.status);
  }
}

/** Polls /health until it answers `status`, at most `ms` (bounded in count too). */
export async function waitForHealth(baseUrl: string, status: number, ms = 15_000): Promise<number> {
  const deadline = Date.now() + ms;
  let last = 0;
  for (let i = 0; i < 150 && Date.now() < deadline; i++) {
    last = (await rawRequest(baseUrl, { method: 'GET', path: '/health' })).status;
    if (last === status) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}
