import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { testUrls, uniqueName } from '../harness/servers';
import { sample } from '../support/prometheus';

/**
 * The packed tarballs, installed from outside the repository into the kind of app a user has:
 * Nest 12 as ES modules and Nest 11 as CommonJS, each with only Nest, the peers and the packages
 * (from the npm registry and dist/packages/). Each app first installs one package alone and uses
 * it, then adds the other and the optional peers (OpenFeature's SDKs, prom-client served by
 * @willsoto/nestjs-prometheus, OpenTelemetry), type-checks its strict sources and serves them over
 * HTTP.
 */

const repo = resolve(__dirname, '../..');
const fixture = join(__dirname, 'consumer-app');
const VERSION = (
  JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }
).version;
const PACKAGES = ['feature-flags', 'api-auth'] as const;
type PackageName = (typeof PACKAGES)[number];
/** Where the suite's own `tools/pack.mjs --out-dir` run builds: never the repository's dist/. */
const buildDir = mkdtempSync(join(tmpdir(), 'gk-pack-'));
/** Removed after the run, whether or not their app got ready. */
const tempDirs = [buildDir];
const tarball = (name: PackageName) =>
  join(buildDir, 'packages', `gatekeeper-${name}-${VERSION}.tgz`);

type Backend = 'memory' | 'redis';

interface Consumer {
  label: string;
  nest: 11 | 12;
  esm: boolean;
  /** Installed (and used) before the other package is. */
  alone: PackageName;
  aloneCheck: string;
  flagsBackend: Backend;
  authBackend: Backend;
  /** compilerOptions of the app's tsconfig.json (emits), then of a type-check-only variant. */
  tsconfig: Record<string, unknown>;
  alsoTypeCheck: Record<string, unknown>;
}

const consumers: Consumer[] = [
  {
    label: 'Nest 12, ES modules (nodenext)',
    nest: 12,
    esm: true,
    alone: 'api-auth',
    aloneCheck: 'api-auth-alone.mjs',
    flagsBackend: 'redis',
    authBackend: 'memory',
    tsconfig: { module: 'nodenext', moduleResolution: 'nodenext' },
    alsoTypeCheck: { module: 'preserve', moduleResolution: 'bundler' },
  },
  {
    label: 'Nest 11, CommonJS (node16)',
    nest: 11,
    esm: false,
    alone: 'feature-flags',
    aloneCheck: 'feature-flags-alone.cjs',
    flagsBackend: 'memory',
    authBackend: 'redis',
    tsconfig: { module: 'node16', moduleResolution: 'node16' },
    // The classic `node` (node10) resolution, deprecated in TypeScript 6 but still in many apps.
    alsoTypeCheck: { module: 'commonjs', moduleResolution: 'node', ignoreDeprecations: '6.0' },
  },
];

interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** npm must see the throwaway app, not the repository that runs `npm test`. */
const childEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env = { ...process.env, ...extra };
  for (const key of Object.keys(env)) {
    if (/^npm_(package|lifecycle)_|^npm_config_local_prefix$|^INIT_CWD$/.test(key)) delete env[key];
  }
  return env;
};

function run(command: string, args: string[], cwd: string): Promise<Output> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function must(command: string, args: string[], cwd: string): Promise<string> {
  const out = await run(command, args, cwd);
  if (out.code !== 0) {
    const log = `${out.stdout}\n${out.stderr}`.trim().slice(-4000);
    throw new Error(`\`${command} ${args.join(' ')}\` in ${cwd} exited ${out.code}:\n${log}`);
  }
  return out.stdout;
}

/**
 * What the README has a Nest 12 app put in its package.json before installing
 * `@openfeature/nestjs-sdk`, whose 0.2 releases declare Nest 8–11 as their peers.
 */
const OPENFEATURE_NEST_OVERRIDES = {
  '@openfeature/nestjs-sdk': {
    '@nestjs/common': '$@nestjs/common',
    '@nestjs/core': '$@nestjs/core',
  },
};

const npmInstall = (dir: string, specs: string[]) =>
  must('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], dir);

/** Every installed package in an `npm ls --all --json` tree. */
function packageNames(tree: { dependencies?: Record<string, unknown> }): Set<string> {
  const names = new Set<string>();
  const visit = (deps: Record<string, unknown> | undefined) => {
    for (const [name, sub] of Object.entries(deps ?? {})) {
      const node = sub as { version?: string; dependencies?: Record<string, unknown> };
      // Unmet optional peers are listed too, without a version.
      if (node.version) names.add(name);
      visit(node.dependencies);
    }
  };
  visit(tree.dependencies);
  return names;
}

interface Prepared {
  dir: string;
  /** Packages in the tree while only `alone` was installed. */
  aloneTree: Set<string>;
  /** `dependencies` of the installed package's manifest. */
  aloneDependencies: unknown;
  aloneOutput: unknown;
  typeChecks: Array<{ config: string; code: number | null; output: string }>;
}

async function prepare(consumer: Consumer): Promise<Prepared> {
  const dir = mkdtempSync(join(tmpdir(), `gk-consumer-nest${consumer.nest}-`));
  tempDirs.push(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: `consumer-nest${consumer.nest}`,
      version: '0.0.0',
      private: true,
      ...(consumer.esm ? { type: 'module' } : {}),
      devDependencies: { typescript: '~6.0.3', '@types/node': '^20.19.0' },
      ...(consumer.nest === 12 ? { overrides: OPENFEATURE_NEST_OVERRIDES } : {}),
    }),
  );
  const other = PACKAGES.find((name) => name !== consumer.alone)!;

  // Only Nest and the package's required peers: no Terminus, ioredis, TypeORM or other @gatekeeper.
  const nest = ['common', 'core', 'platform-express'].map((p) => `@nestjs/${p}@^${consumer.nest}`);
  await npmInstall(dir, [...nest, 'reflect-metadata@^0.2.0', 'rxjs@^7', tarball(consumer.alone)]);
  const tree = JSON.parse(await must('npm', ['ls', '--all', '--json'], dir)) as {
    dependencies?: Record<string, unknown>;
  };
  const installed = join(dir, 'node_modules/@gatekeeper', consumer.alone, 'package.json');
  const aloneDependencies = (JSON.parse(readFileSync(installed, 'utf8')) as Record<string, unknown>)
    .dependencies;
  cpSync(join(fixture, 'checks', consumer.aloneCheck), join(dir, consumer.aloneCheck));
  const aloneOutput = JSON.parse(await must(process.execPath, [consumer.aloneCheck], dir));

  await npmInstall(dir, [
    `@nestjs/terminus@^${consumer.nest}`,
    'ioredis@^5',
    tarball(other),
    '@openfeature/server-sdk@^1.17.1',
    '@openfeature/nestjs-sdk@^0.2.5',
    'prom-client@^15',
    '@willsoto/nestjs-prometheus@^6',
    // The SDK line docs/observability.md gives for Node.js 20.
    '@opentelemetry/api@~1.9.0',
    '@opentelemetry/sdk-trace-base@^2.12.1',
    '@opentelemetry/context-async-hooks@^2.12.1',
  ]);
  // Exit status 0: nothing missing, every peer range satisfied.
  await must('npm', ['ls', '--all'], dir);

  cpSync(join(fixture, 'src'), join(dir, 'src'), { recursive: true });
  const base = {
    target: 'ES2023',
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    skipLibCheck: true,
    types: ['node'],
    rootDir: 'src',
    outDir: 'dist',
  };
  const write = (file: string, options: Record<string, unknown>) =>
    writeFileSync(
      join(dir, file),
      JSON.stringify({ compilerOptions: { ...base, ...options }, include: ['src'] }, null, 2),
    );
  write('tsconfig.json', consumer.tsconfig);
  write('tsconfig.check.json', { ...consumer.alsoTypeCheck, noEmit: true });
  const tsc = join(dir, 'node_modules/typescript/bin/tsc');
  const typeChecks = [];
  for (const config of ['tsconfig.json', 'tsconfig.check.json']) {
    const out = await run(process.execPath, [tsc, '-p', config], dir);
    typeChecks.push({ config, code: out.code, output: (out.stdout + out.stderr).trim() });
  }
  return { dir, aloneTree: packageNames(tree), aloneDependencies, aloneOutput, typeChecks };
}

interface RunningApp {
  child: ChildProcess;
  url: string;
  adminKey: string;
  readerKey: string;
  stdout: () => string;
}

/** `node dist/main.js`, resolved once it printed its URL and keys. */
function startApp(dir: string, env: Record<string, string>): Promise<RunningApp> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: dir,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`app did not start:\n${stdout}${stderr}`)),
      30_000,
    );
    child.on('exit', (code) => fail(new Error(`app exited (${code}):\n${stdout}${stderr}`)));
    let started = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l, i, all) => i < all.length - 1 && l.startsWith('{'));
      if (started || !line) return;
      started = true;
      clearTimeout(timer);
      const { url, adminKey, readerKey } = JSON.parse(line) as Omit<RunningApp, 'child'>;
      done({ child, url, adminKey, readerKey, stdout: () => stdout });
    });
  });
}

const prepared = new Map<Consumer, Promise<Prepared>>();
let redis: Redis;

beforeAll(async () => {
  await must(process.execPath, ['tools/pack.mjs', '--out-dir', buildDir], repo);
  // Both apps install at once; each keeps its own failure for its own tests.
  for (const consumer of consumers) {
    const job = prepare(consumer);
    job.catch(() => undefined);
    prepared.set(consumer, job);
  }
  await Promise.allSettled(prepared.values());
  redis = new Redis(testUrls().redis);
}, 600_000);

afterAll(async () => {
  await redis?.quit();
  await Promise.allSettled(prepared.values());
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe.each(consumers)('$label', (consumer) => {
  let app: Prepared;
  let server: RunningApp;
  const prefix = uniqueName('consumer_') + ':';

  beforeAll(async () => {
    app = await prepared.get(consumer)!;
    server = await startApp(app.dir, {
      REDIS_URL: testUrls().redis,
      REDIS_PREFIX: prefix,
      FLAGS_BACKEND: consumer.flagsBackend,
      AUTH_BACKEND: consumer.authBackend,
    });
  }, 60_000);

  afterAll(() => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  });

  const call = (path: string, init: { method?: string; key?: string; bearer?: string } = {}) =>
    fetch(server.url + path, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.key ? { 'x-api-key': init.key } : {}),
        ...(init.bearer ? { authorization: `Bearer ${init.bearer}` } : {}),
      },
    });

  it(`installs @gatekeeper/${consumer.alone} alone and runs it without the other`, () => {
    const gatekeeper = [...app.aloneTree].filter((name) => name.startsWith('@gatekeeper/'));
    expect(gatekeeper).toEqual([`@gatekeeper/${consumer.alone}`]);
    expect(app.aloneTree).not.toContain('@nestjs/terminus');
    expect(app.aloneTree).not.toContain('ioredis');
    // Runtime dependencies are third-party only: the flags' cron matcher (time schedules) and
    // linear-time regex engine.
    expect(Object.keys(app.aloneDependencies ?? {}).sort()).toEqual(
      consumer.alone === 'feature-flags' ? ['croner', 're2js'] : [],
    );
    expect(app.aloneOutput).toEqual(
      consumer.alone === 'feature-flags'
        ? { before: false, after: true }
        : { ownerId: 'alone', scopes: ['reports:read'] },
    );
  });

  it('type-checks the strict app against the packages’ declarations', () => {
    expect(app.typeChecks).toEqual([
      { config: 'tsconfig.json', code: 0, output: '' },
      { config: 'tsconfig.check.json', code: 0, output: '' },
    ]);
  });

  it('serves a @FeatureFlag route: 404, then 200 once the flag is created', async () => {
    expect((await call('/checkout')).status).toBe(404);

    const created = await call('/admin/flags/new-checkout', {
      method: 'POST',
      key: server.adminKey,
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ key: 'new-checkout', createdBy: 'admin' });

    const checkout = await call('/checkout');
    expect(checkout.status).toBe(200);
    expect(await checkout.json()).toEqual({ checkout: 'new' });
    // The flag went where the app configured it.
    expect(await redis.exists(`${prefix}flags:flag:new-checkout`)).toBe(
      consumer.flagsBackend === 'redis' ? 1 : 0,
    );
  });

  it('guards routes with API keys: 401 without one, 403 without the scope, 200 with it', async () => {
    const anonymous = await call('/admin/flags/other', { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBeTruthy();
    expect((await call('/me', { key: `${server.readerKey}x` })).status).toBe(401);

    expect(
      (await call('/admin/flags/other', { method: 'POST', key: server.readerKey })).status,
    ).toBe(403);

    const me = await call('/me', { key: server.readerKey });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ ownerId: 'reader', scopes: ['reports:read'] });
    const bearer = await call('/me', { bearer: server.adminKey });
    expect(bearer.status).toBe(200);
    expect(await bearer.json()).toMatchObject({ ownerId: 'admin' });
    expect(await redis.scard(`${prefix}keys:owner:reader`)).toBe(
      consumer.authBackend === 'redis' ? 1 : 0,
    );
  });

  it('answers OpenFeature’s NestJS SDK through GatekeeperProvider', async () => {
    // @RequireFlagsEnabled: 404 while the flag does not exist, then the handler.
    expect((await call('/store/checkout')).status).toBe(404);
    const created = await call('/admin/flags/store-checkout', {
      method: 'POST',
      key: server.adminKey,
    });
    expect(created.status).toBe(201);
    const checkout = await call('/store/checkout');
    expect(checkout.status).toBe(200);
    expect(await checkout.json()).toEqual({ checkout: 'store' });

    expect(await (await call('/store/flags/store-checkout')).json()).toMatchObject({
      flagKey: 'store-checkout',
      value: true,
      reason: 'STATIC',
    });
    expect(await (await call('/store/flags/no-such-flag')).json()).toMatchObject({
      flagKey: 'no-such-flag',
      value: false,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
  });

  it('counts evaluations, key checks and storage calls on /metrics of @willsoto/nestjs-prometheus', async () => {
    expect((await call('/me', { key: server.readerKey })).status).toBe(200);
    expect((await call('/me')).status).toBe(401);
    expect((await call('/checkout')).status).toBe(200);

    const metrics = await call('/metrics');
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    const count = (name: string, labels: Record<string, string>) => sample(text, name, labels) ?? 0;
    expect(
      count('gatekeeper_flag_evaluations_total', { flag: 'new-checkout', reason: 'STATIC' }),
    ).toBeGreaterThan(0);
    expect(count('gatekeeper_api_key_verifications_total', { result: 'ok' })).toBeGreaterThan(0);
    expect(
      count('gatekeeper_api_key_verifications_total', { result: 'missing_api_key' }),
    ).toBeGreaterThan(0);
    // Storage calls are timed on the Redis backend this app gave one of its modules: the flag
    // the previous test created, or the key lookups.
    const redisModule = consumer.flagsBackend === 'redis' ? 'feature_flags' : 'api_auth';
    const operation = redisModule === 'feature_flags' ? 'createFlag' : 'getByHash';
    expect(
      count('gatekeeper_storage_operation_duration_seconds_count', {
        module: redisModule,
        backend: 'redis',
        operation,
      }),
    ).toBeGreaterThan(0);
  });

  it('records OpenTelemetry spans for key checks and storage calls', async () => {
    expect((await call('/me', { key: server.readerKey })).status).toBe(200);
    const spans = (await (await call('/spans')).json()) as Array<{
      name: string;
      attributes: Record<string, unknown>;
    }>;
    expect(spans).toContainEqual({
      name: 'gatekeeper.api_key.verify',
      attributes: { 'gatekeeper.api_key.result': 'ok' },
    });
    const redisModule = consumer.flagsBackend === 'redis' ? 'feature_flags' : 'api_auth';
    const operation = redisModule === 'feature_flags' ? 'createFlag' : 'getByHash';
    expect(spans).toContainEqual({
      name: `gatekeeper.storage ${operation}`,
      attributes: expect.objectContaining({
        'gatekeeper.module': redisModule,
        'gatekeeper.storage.backend': 'redis',
        'gatekeeper.storage.operation': operation,
      }) as unknown,
    });
  });

  it('reports both modules up on a Terminus /health', async () => {
    const health = await call('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      info: { feature_flags: { status: 'up' }, api_auth: { status: 'up' } },
    });
  });

  it('closes and exits on its own within 5 s of SIGTERM', async () => {
    const exited = new Promise<number | null>((done) => server.child.once('exit', done));
    const started = Date.now();
    server.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<string>((done) => (timer = setTimeout(done, 5_000, 'still running after 5 s'))),
    ]);
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.stdout()).toMatch(/\{"closedInMs":\d+\}/);
  });
});
