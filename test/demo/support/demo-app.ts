import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_KEY_REGEX } from '@gatekeeper/api-auth';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../../apps/demo/src/app.module';
import { BODY_PARSER_OFF, configureApp } from '../../../apps/demo/src/app.setup';
import type { DemoBackend, DemoConfig } from '../../../apps/demo/src/config/demo.config';
import { CONSOLE_OUTPUT } from '../../../apps/demo/src/seed/console-output';
import { createTestDatabase, testUrls, uniqueName } from '../../harness/servers';
import { CapturingLogger } from '../../support/capturing-logger';

export interface RunningDemo {
  app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** What the demo printed to its console sink (the first-start banner). */
  console: string[];
  logger: CapturingLogger;
  /** The admin key of the banner, if this start printed one. */
  adminKey: string | undefined;
  close(): Promise<void>;
}

/** Boots the demo's AppModule in-process, configured as main.ts does, on a free port. */
export async function startDemo(config: DemoConfig): Promise<RunningDemo> {
  const consoleLines: string[] = [];
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
    .overrideProvider(CONSOLE_OUTPUT)
    .useValue({ write: (text: string) => consoleLines.push(text) })
    .compile();
  const app = moduleRef.createNestApplication({ ...BODY_PARSER_OFF, logger });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const adminKey = consoleLines.join('').match(new RegExp(API_KEY_REGEX.source))?.[0];
  return {
    app,
    baseUrl: `http://127.0.0.1:${address.port}`,
    console: consoleLines,
    logger,
    adminKey,
    close: () => app.close(),
  };
}

/** A private store of the given kind, and how to throw it away. */
export interface TestStore {
  config: DemoConfig;
  dispose(): void;
}

export const STORE_BACKENDS = ['sqlite', 'postgres', 'redis'] as const;

export async function createTestStore(backend: DemoBackend): Promise<TestStore> {
  const base = { port: 0, backend, redisPrefix: '' };
  switch (backend) {
    case 'sqlite': {
      const dir = mkdtempSync(join(tmpdir(), 'gk-demo-'));
      return {
        config: { ...base, databaseUrl: `sqlite:${join(dir, 'gatekeeper.sqlite')}` },
        dispose: () => rmSync(dir, { recursive: true, force: true }),
      };
    }
    case 'postgres':
    case 'mysql':
      return { config: { ...base, databaseUrl: await createTestDatabase(backend) }, dispose() {} };
    case 'redis':
      return {
        config: { ...base, redisUrl: testUrls().redis, redisPrefix: uniqueName('demo_') + ':' },
        dispose() {},
      };
    case 'memory':
      return { config: base, dispose() {} };
  }
}
