import { createTestStore, startDemo, type RunningDemo, type TestStore } from './support/demo-app';
import { readTour, runCurl } from './support/readme-tour';

/** The value of the samples of `name` (any labels) in a text exposition, summed. */
function total(text: string, name: string, labels: string[] = []): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    if (labels.every((pair) => (match[2] ?? '').split(',').includes(pair))) sum += Number(match[3]);
  }
  return sum;
}

describe('demo: GET /metrics after the README tour (sqlite)', () => {
  let store: TestStore;
  let demo: RunningDemo;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    demo = await startDemo(store.config);
  });

  afterAll(async () => {
    await demo?.close();
    store?.dispose();
  });

  it('shows evaluations, verifications by result, storage durations and cache lookups', async () => {
    const env: Record<string, string | undefined> = { ADMIN_KEY: demo.adminKey };
    for (const step of readTour()) {
      const response = await runCurl(step.command, env, demo.baseUrl);
      if (step.command.includes('/admin/keys -H')) {
        env.KEY = response.body.key;
        env.KEY_ID = response.body.apiKey.id;
      }
    }

    const response = await fetch(`${demo.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();

    expect(
      total(text, 'gatekeeper_flag_evaluations_total', ['flag="new_checkout"']),
    ).toBeGreaterThan(0);
    expect(total(text, 'gatekeeper_api_key_verifications_total', ['result="ok"'])).toBeGreaterThan(
      0,
    );
    // The tour ends with the revoked key refused.
    expect(
      total(text, 'gatekeeper_api_key_verifications_total', ['result="revoked_api_key"']),
    ).toBeGreaterThan(0);
    expect(
      total(text, 'gatekeeper_storage_operation_duration_seconds_count', ['backend="database"']),
    ).toBeGreaterThan(0);
    expect(total(text, 'gatekeeper_cache_requests_total', ['result="hit"'])).toBeGreaterThan(0);
    // No label holds a key.
    expect(text).not.toContain(env.KEY!);
    expect(text).not.toContain(demo.adminKey!);
  });
});
