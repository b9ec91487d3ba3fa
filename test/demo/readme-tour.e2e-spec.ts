import { API_KEY_REGEX } from '@gatekeeper/api-auth';
import { runKeysCli } from '../../apps/demo/src/cli/keys.cli';
import {
  createTestStore,
  startDemo,
  STORE_BACKENDS,
  type RunningDemo,
  type TestStore,
} from './support/demo-app';
import {
  containsPair,
  documentedPairs,
  readTour,
  readTourKeysCommands,
  runCurl,
  shellWords,
  type TourResponse,
  type TourStep,
} from './support/readme-tour';
import { jsonClient } from './support/http';

const tour = readTour();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const keysCommands = readTourKeysCommands();

describe('README five-minute tour', () => {
  it('covers the story: keys, scopes, a flag-gated route appearing and disappearing, revocation', () => {
    const statuses = (fragment: string) =>
      tour.filter((step) => step.command.includes(fragment)).map((s) => s.documentedStatus);
    expect(statuses('localhost:3000/admin/keys -H')).toEqual([201]);
    expect(statuses('localhost:3000/admin/keys?')).toEqual([200, 200]);
    expect(statuses('localhost:3000/checkout')).toEqual([404, 201, 404]);
    // A segment targeted by a rule, then a change that lands by itself a moment later.
    expect(statuses('localhost:3000/admin/segments')).toEqual([201]);
    expect(statuses('/rules -H')).toEqual([201]);
    expect(statuses('/scheduled-changes')).toEqual([201]);
    const scheduled = tour.findIndex((step) => step.command.includes('/scheduled-changes'));
    expect(tour[scheduled + 1]).toMatchObject({ waitSeconds: 3, documentedStatus: 200 });
    expect(statuses('/revoke')).toEqual([200]);
    expect(tour.at(-1)!.documentedStatus).toBe(401);
    const verbs = keysCommands.map((line) => line.split(' ')[4]);
    expect(verbs).toEqual(['create', 'list', 'list', 'rotate', 'revoke']);
  });

  describe.each(STORE_BACKENDS)('on %s', (backend) => {
    let store: TestStore;
    let demo: RunningDemo;

    beforeAll(async () => {
      store = await createTestStore(backend);
      demo = await startDemo(store.config);
    });

    afterAll(async () => {
      await demo?.close();
      store?.dispose();
    });

    it('works line by line, with the answers the README shows', async () => {
      expect(demo.adminKey).toMatch(API_KEY_REGEX);
      const env: Record<string, string | undefined> = { ADMIN_KEY: demo.adminKey };

      /** What the answer lacks of the README's promise, if anything. */
      const broken = (step: TourStep, response: TourResponse): string | undefined => {
        const shown = `${step.command}\n→ ${response.status} ${JSON.stringify(response.body)}`;
        if (response.status !== step.documentedStatus) {
          return `README promises ${step.documentedStatus} for\n${shown}`;
        }
        for (const [name, value] of documentedPairs(step.documentedBody)) {
          // The README shows `npm start`, i.e. SQLite; the other stores name themselves.
          if (name === 'backend' && backend !== 'sqlite') continue;
          if (!containsPair(response.body, name, value)) {
            return `README promises "${name}":${JSON.stringify(value)} for\n${shown}`;
          }
        }
        return undefined;
      };

      for (const step of tour) {
        await sleep(step.waitSeconds * 1000);
        let response: TourResponse = await runCurl(step.command, env, demo.baseUrl);
        // After a `sleep`, the promise is about the scheduler: a slow machine gets a little slack.
        const patience = Date.now() + (step.waitSeconds > 0 ? 5000 : 0);
        while (broken(step, response) !== undefined && Date.now() < patience) {
          await sleep(200);
          response = await runCurl(step.command, env, demo.baseUrl);
        }
        const problem = broken(step, response);
        if (problem !== undefined) throw new Error(problem);
        // "Paste its key and apiKey.id: export KEY=sk_… KEY_ID=…"
        if (step.command.includes('/admin/keys -H')) {
          env.KEY = response.body.key;
          env.KEY_ID = response.body.apiKey.id;
          expect(env.KEY).toMatch(API_KEY_REGEX);
        }
      }
    });

    it('runs its npm run keys lines as written, on the same store', async () => {
      const http = jsonClient(demo.baseUrl);
      const issued = await http('POST', '/admin/keys', {
        key: demo.adminKey,
        body: { name: 'cli tour', ownerId: 'acme', scopes: ['orders:read'] },
      });
      for (const line of keysCommands) {
        const words = shellWords(line.replace('<key-id>', issued.body.apiKey.id), {});
        let stdout = '';
        let stderr = '';
        const code = await runKeysCli(words.slice(4), store.config, {
          stdout: (text) => (stdout += text),
          stderr: (text) => (stderr += text),
        });
        expect({ line, code, stderr }).toEqual({ line, code: 0, stderr: expect.any(String) });
        if (words[4] === 'create') expect(stdout.trim()).toMatch(API_KEY_REGEX);
        if (words[4] === 'list') expect(stdout).toContain('acme');
      }
    });
  });
});
