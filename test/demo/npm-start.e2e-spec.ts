import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { API_KEY_REGEX } from '@gatekeeper/api-auth';
import { freePort } from '../harness/processes';

const ROOT = join(__dirname, '../..');
const MAIN_JS = join(ROOT, 'dist/apps/demo/src/main.js');
/** A first `npm start` may build (tsc, about 15 s): plenty of room for a slow machine. */
const START_TIMEOUT_MS = 150_000;

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The environment of someone who set nothing but what the test gives. */
function demoEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of Object.keys(env)) {
    if (/^(GATEKEEPER_|DATABASE_URL$|REDIS_URL$|PORT$|npm_)/.test(name)) delete env[name];
  }
  return { ...env, ...extra };
}

function npmStart(env: NodeJS.ProcessEnv, detached = false): Started {
  return startProcess('npm', ['start'], env, detached);
}

/** The server as `npm start` runs it (`exec node tools/demo.mjs server`), without npm around it. */
function demoServer(env: NodeJS.ProcessEnv): Started {
  return startProcess(process.execPath, ['tools/demo.mjs', 'server'], env, false);
}

function startProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  detached: boolean,
): Started {
  const child = spawn(command, args, { cwd: ROOT, env, detached, stdio: 'pipe' });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

async function waitForOutput(started: Started, pattern: RegExp): Promise<RegExpExecArray> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const match = pattern.exec(started.output());
    if (match) return match;
    if (started.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the demo never printed ${pattern}:\n${started.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether something accepts TCP connections on the port (IPv4 loopback). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function exitsWithin(started: Started, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still running after ${ms} ms:\n${started.output()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([started.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('npm start', () => {
  let dir: string;
  let port: number;
  let env: NodeJS.ProcessEnv;
  const running: Started[] = [];

  /** Starts the demo (stopped after the tests whatever happens) and waits until it listens. */
  async function untilListening(started: Started): Promise<Started> {
    running.push(started);
    await waitForOutput(started, new RegExp(`Listening on http://localhost:${port}\\b`));
    return started;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gk-npm-start-'));
    port = await freePort();
    env = demoEnv({ PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'gatekeeper.sqlite')}` });
  });

  afterAll(() => {
    for (const started of running) {
      if (started.child.exitCode === null && started.child.signalCode === null) {
        started.child.kill('SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'serves on PORT, prints a keys command that works as printed, and SIGTERM to npm frees the port',
    async () => {
      const started = await untilListening(npmStart(env));
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      expect(started.output()).toContain(`OpenAPI JSON at http://localhost:${port}/docs-json`);

      // The hint under the admin key, pasted into a shell as it is (it names this store).
      const [, command] = /Lost it\? Issue another from a second terminal:\n {2}(.*)\n/.exec(
        started.output(),
      )!;
      expect(command).toMatch(
        /^DATABASE_URL=\S+ npm run keys -- create --owner-id gatekeeper-admin /,
      );
      const { stdout } = await promisify(execFile)('sh', ['-c', command], {
        cwd: ROOT,
        env: demoEnv({}),
      });
      const newAdmin = new RegExp(API_KEY_REGEX.source).exec(stdout)![0];
      const listed = await fetch(`http://127.0.0.1:${port}/admin/keys?ownerId=gatekeeper-admin`, {
        headers: { 'x-api-key': newAdmin },
      });
      expect(listed.status).toBe(200);

      started.child.kill('SIGTERM');
      expect(await exitsWithin(started, 15_000)).toEqual({ code: 0, signal: null });
      expect(started.output()).toContain('SIGTERM: closing connections, then exiting');
      expect(await listening(port)).toBe(false);
    },
    START_TIMEOUT_MS + 60_000,
  );

  it(
    'starts again without rebuilding, and Ctrl-C (SIGINT to the process group) stops it all',
    async () => {
      const built = statSync(MAIN_JS).mtimeMs;
      // A group of its own, like a terminal's foreground job: npm, and the server under it.
      const started = await untilListening(npmStart(env, true));
      expect(started.output()).not.toMatch(/building/i);
      expect(statSync(MAIN_JS).mtimeMs).toBe(built);
      // Not a first start: no second admin key.
      expect(started.output()).not.toContain('export ADMIN_KEY');

      process.kill(-started.child.pid!, 'SIGINT');
      expect(await exitsWithin(started, 15_000)).toEqual({ code: 0, signal: null });
      expect(await listening(port)).toBe(false);
      // Nothing of the group is left running.
      expect(() => process.kill(-started.child.pid!, 0)).toThrow(
        expect.objectContaining({ code: 'ESRCH' }),
      );
    },
    START_TIMEOUT_MS + 60_000,
  );

  it(
    'the server shuts down cleanly through SIGINT after SIGINT while it closes',
    async () => {
      // npm forwards Ctrl-C on top of the terminal's, and an impatient user presses it again: a
      // signal may arrive after Nest's shutdown hook has removed its own listener.
      const started = await untilListening(demoServer(env));
      const deadline = Date.now() + 15_000;
      while (started.child.exitCode === null && started.child.signalCode === null) {
        if (Date.now() > deadline) throw new Error(`still running:\n${started.output()}`);
        started.child.kill('SIGINT');
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(await started.exited).toEqual({ code: 0, signal: null });
      expect(started.output().match(/SIGINT: closing connections/g)).toHaveLength(1);
      expect(await listening(port)).toBe(false);
    },
    START_TIMEOUT_MS + 60_000,
  );
});

describe('tools/demo.mjs: when npm start and npm run keys build', () => {
  let root: string;
  const file = (path: string) => join(root, path);
  const write = (path: string, ageSeconds: number) => {
    mkdirSync(dirname(file(path)), { recursive: true });
    writeFileSync(file(path), '');
    age(path, ageSeconds);
  };
  const age = (path: string, ageSeconds: number) => {
    const time = new Date(Date.now() - ageSeconds * 1000);
    utimesSync(file(path), time, time);
  };
  /** Runs the launcher's own check, as `npm start` does, on the fake repository. */
  const fresh = () =>
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { isBuildFresh } from ${JSON.stringify(pathToFileURL(join(ROOT, 'tools/demo.mjs')).href)};` +
          `process.stdout.write(String(isBuildFresh(${JSON.stringify(root)})));`,
      ],
      { encoding: 'utf8' },
    ) === 'true';

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gk-launcher-'));
    // Sources an hour old, then a build of a minute ago.
    for (const path of [
      'tsconfig.json',
      'tsconfig.build.json',
      'tools/build.mjs',
      'apps/demo/src/main.ts',
      'libs/api-auth/package.json',
      'libs/api-auth/src/index.ts',
      'libs/api-auth/src/storage/memory.storage.ts',
    ]) {
      write(path, 3600);
    }
    for (const dir of [
      'apps/demo/src',
      'apps/demo',
      'libs/api-auth/src/storage',
      'libs/api-auth/src',
      'libs/api-auth',
      'libs',
    ]) {
      age(dir, 3600);
    }
    for (const path of [
      'dist/apps/demo/src/main.js',
      'dist/apps/demo/src/cli.js',
      'dist/libs/api-auth/index.js',
    ]) {
      write(path, 60);
    }
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reuses a complete build that is newer than every source', () => {
    expect(fresh()).toBe(true);
  });

  it('rebuilds after a source, a lib manifest or the build config changed', () => {
    for (const path of [
      'libs/api-auth/src/storage/memory.storage.ts',
      'libs/api-auth/package.json',
      'tsconfig.build.json',
    ]) {
      age(path, 0);
      expect({ path, fresh: fresh() }).toEqual({ path, fresh: false });
      age(path, 3600);
    }
    expect(fresh()).toBe(true);
  });

  it('rebuilds after a source was added or deleted (the directory changed)', () => {
    write('apps/demo/src/new.ts', 3600); // an old file copied in: only its directory is new
    expect(fresh()).toBe(false);
    age('apps/demo/src', 3600);
    unlinkSync(file('libs/api-auth/src/storage/memory.storage.ts'));
    expect(fresh()).toBe(false);
  });

  it('ignores unit tests, and rebuilds when a build was left incomplete', () => {
    write('libs/api-auth/src/storage/memory.storage.spec.ts', 0);
    age('libs/api-auth/src/storage', 3600);
    expect(fresh()).toBe(true);
    // tools/build.mjs writes the libs' index.js last: without it the build stopped half-way.
    unlinkSync(file('dist/libs/api-auth/index.js'));
    expect(fresh()).toBe(false);
  });
});
