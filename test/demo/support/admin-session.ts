import type { DemoConfig } from '../../../apps/demo/src/config/demo.config';
import { createTestStore, startDemo, type RunningDemo, type TestStore } from './demo-app';
import { jsonClient, type JsonResponse } from './http';

/** A demo on a private store, with one key per level of flag access. */
export interface AdminSession {
  demo: RunningDemo;
  /** Like `jsonClient`, but a 5xx fails the test at once: no request here may crash a route. */
  http: ReturnType<typeof jsonClient>;
  /** keys:admin, flags:write, flags:read (the first start's key). */
  admin: string;
  /** flags:read only. */
  reader: string;
  /** A customer key: no flag scope at all. */
  customer: string;
  /** Issues a key for `ownerId` with `scopes`; resolves with the key. */
  issue(ownerId: string, scopes: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startAdminSession(
  backend: DemoConfig['backend'],
  config: Partial<DemoConfig> = {},
): Promise<AdminSession> {
  const store: TestStore = await createTestStore(backend);
  const demo = await startDemo({ ...store.config, ...config });
  const json = jsonClient(demo.baseUrl);
  const http: AdminSession['http'] = async (method, path, options) => {
    const response: JsonResponse = await json(method, path, options);
    if (response.status >= 500) {
      throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`);
    }
    return response;
  };
  const admin = demo.adminKey!;
  const issue = async (ownerId: string, scopes: string[]) => {
    const created = await http('POST', '/admin/keys', {
      key: admin,
      body: { name: ownerId, ownerId, scopes },
    });
    if (created.status !== 201) throw new Error(`could not issue a key: ${created.status}`);
    return created.body.key as string;
  };
  return {
    demo,
    http,
    admin,
    reader: await issue('auditor', ['flags:read']),
    customer: await issue('acme', ['orders:read', 'orders:write']),
    issue,
    close: async () => {
      await demo.close();
      store.dispose();
    },
  };
}

/** The messages of a 400 (or 422) body, always as a list. */
export function messages(body: { message: string[] | string }): string[] {
  return Array.isArray(body.message) ? body.message : [body.message];
}
