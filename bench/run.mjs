// `npm run bench`: compiles bench/ and the test harness with swc, starts throwaway redis-server
// and PostgreSQL from the same harness as the tests, runs each part in its own process against
// the libraries built under GATEKEEPER_BENCH_DIST (default dist/), and prints one table per part
// plus the targets. Options: --only=a,c (parts), --skip-build-check.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const dist = resolve(process.env.GATEKEEPER_BENCH_DIST ?? join(root, 'dist'));
const out = join(dist, 'bench-build');
const PARTS = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
const PART_TIMEOUT_MS = 6 * 60_000;

const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const parts = only ? only.split(',').filter((p) => PARTS.includes(p)) : PARTS;

if (!existsSync(join(dist, 'libs/feature-flags/src/index.js'))) {
  console.error(`No build under ${dist}: run \`npm run build\` (or set GATEKEEPER_BENCH_DIST).`);
  process.exit(1);
}

compile();
// The compiled harness may live outside the repository (a private GATEKEEPER_BENCH_DIST): let it
// resolve pg & co. from the repository's node_modules, as the part processes do via NODE_PATH.
process.env.NODE_PATH = join(root, 'node_modules');
require('node:module').Module._initPaths();
const harness = require(join(out, 'test/harness/servers.js'));
const started = [];
const results = [];
let failed = false;
const t0 = Date.now();
try {
  harness.ensureServerBinaries(['redis', 'postgres']);
  const [redis, postgres] = await Promise.all([
    harness.startRedisServer(),
    harness.startPostgresServer(),
  ]);
  started.push(redis, postgres);
  for (const part of parts) {
    // Only the propagation part (d) measures a cluster. Its three servers run for that part
    // alone: on a 2-core machine, idle servers' housekeeping is noise in the other parts.
    const redisCluster = part === 'd' ? await harness.startRedisCluster() : undefined;
    if (redisCluster) started.push(redisCluster);
    const result = await runPart(part, {
      BENCH_REDIS_URL: redis.url,
      BENCH_POSTGRES_URL: postgres.url,
      ...(redisCluster ? { BENCH_REDIS_CLUSTER_URL: redisCluster.url } : {}),
    });
    if (redisCluster) {
      started.splice(started.indexOf(redisCluster), 1);
      await redisCluster.close();
    }
    if (result) {
      results.push(result);
      printTable(result);
    } else {
      failed = true;
    }
  }
} finally {
  await Promise.allSettled(started.map((server) => server.close()));
}
printSummary();
process.exit(failed ? 1 : 0);

function compile() {
  const swc = require('@swc/core');
  rmSync(out, { recursive: true, force: true });
  const sources = [
    ...walk(join(root, 'bench')).filter((file) => file.endsWith('.ts')),
    join(root, 'test/harness/servers.ts'),
    join(root, 'test/harness/processes.ts'),
  ];
  for (const file of sources) {
    const { code } = swc.transformFileSync(file, {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
      sourceMaps: false,
    });
    const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code);
  }
  // The harness's watchdog (stops the servers if this process dies) is plain JavaScript.
  copyFileSync(join(root, 'test/harness/watchdog.js'), join(out, 'test/harness/watchdog.js'));
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function runPart(part, env) {
  return new Promise((resolvePart) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '-r',
        join(root, 'bench/support/resolve-dist.cjs'),
        join(out, 'bench/main.js'),
        part,
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          ...env,
          GATEKEEPER_BENCH_DIST: dist,
          // A build outside the repository still finds the repository's node_modules.
          NODE_PATH: join(root, 'node_modules'),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), PART_TIMEOUT_MS);
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('@@BENCH_RESULT '));
      if (code !== 0 || !line) {
        console.error(`part ${part} failed (exit ${code})`);
        resolvePart(null);
        return;
      }
      resolvePart(JSON.parse(line.slice('@@BENCH_RESULT '.length)));
    });
  });
}

function printTable(result) {
  const table = [result.headers, ...result.rows];
  const widths = result.headers.map((_, col) =>
    Math.max(...table.map((row) => String(row[col]).length)),
  );
  const line = (row) =>
    '| ' +
    row
      .map((cell, col) =>
        col === 0 ? String(cell).padEnd(widths[col]) : String(cell).padStart(widths[col]),
      )
      .join(' | ') +
    ' |';
  console.log(`\n${result.title}\n`);
  console.log(line(result.headers));
  console.log(
    '|' +
      widths
        .map((w, col) => (col === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':'))
        .join('|') +
      '|',
  );
  for (const row of result.rows) console.log(line(row));
  for (const note of result.notes ?? []) console.log(`\n${note}`);
}

function printSummary() {
  console.log('\nTargets\n');
  for (const result of results) {
    for (const target of result.targets) {
      console.log(`- ${target.met ? 'met    ' : 'NOT MET'}  ${target.name} (${target.detail})`);
    }
  }
  const cpu = cpus();
  console.log(
    `\nnode ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB; ` +
      `libraries from ${relative(root, dist) || dist}; ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
}
