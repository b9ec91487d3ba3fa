// `npm start` and `npm run keys`: run the demo's server or keys CLI from dist/, building first only
// when a source is newer than the build (a full `npm run build`, printed on stderr so that
// `KEY=$(npm run -s keys -- create …)` still captures only the key).
//
// The entry point runs inside this process, not in a child: the process npm started *is* the
// server, so SIGTERM/SIGINT (from npm, which forwards them, or Ctrl-C to the process group) reach
// Nest's shutdown hooks directly and nothing is left listening.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRIES = {
  server: 'dist/apps/demo/src/main.js',
  keys: 'dist/apps/demo/src/cli.js',
};

/** What the build reads: a change to any of these (or a file added or removed) needs a rebuild. */
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'tools/build.mjs'];
const INPUT_TREES = ['apps/demo', 'libs'];

/**
 * Whether dist/ holds a complete build at least as new as every input. Complete means the demo
 * entry points and each lib's `index.js`, which tools/build.mjs writes last, after tsc and
 * tsc-alias succeeded: a build that failed half-way is never taken for a fresh one.
 */
export function isBuildFresh(root) {
  const outputs = Object.values(ENTRIES).map((entry) => join(root, entry));
  for (const lib of safeReaddir(join(root, 'libs'))) {
    const source = join(root, 'libs', lib);
    if (existsSync(join(source, 'package.json')) && existsSync(join(source, 'src/index.ts'))) {
      outputs.push(join(root, 'dist/libs', lib, 'index.js'));
    }
  }
  let built = Infinity;
  for (const output of outputs) {
    if (!existsSync(output)) return false;
    built = Math.min(built, statSync(output).mtimeMs);
  }
  return newestInput(root) <= built;
}

function newestInput(root) {
  let newest = 0;
  const visit = (path) => {
    if (!existsSync(path)) return;
    const stats = statSync(path);
    // A directory's own time changes when an entry is added, removed or renamed.
    newest = Math.max(newest, stats.mtimeMs);
    if (!stats.isDirectory()) return;
    for (const name of readdirSync(path)) {
      if (name === 'node_modules' || name.endsWith('.spec.ts')) continue;
      visit(join(path, name));
    }
  };
  for (const file of INPUT_FILES) visit(join(root, file));
  for (const tree of INPUT_TREES) visit(join(root, tree));
  return newest;
}

function safeReaddir(path) {
  return existsSync(path) ? readdirSync(path) : [];
}

/**
 * Runs tools/build.mjs (what `npm run build` runs) in a process group of its own, so that a
 * SIGTERM/SIGINT that stops the launcher stops tsc too instead of leaving it running.
 */
async function build(root) {
  // tsc reports errors on stdout: send everything to stderr, stdout is the CLI's.
  const child = spawn(process.execPath, [join(root, 'tools/build.mjs')], {
    cwd: root,
    stdio: ['ignore', 2, 2],
    detached: true,
  });
  const forward = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const [code, signal] = await once(child, 'exit');
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  if (signal) process.kill(process.pid, signal);
  return code === 0;
}

async function main() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const [target, ...args] = process.argv.slice(2);
  const entry = ENTRIES[target];
  if (!entry) {
    process.stderr.write(
      `Usage: node tools/demo.mjs <${Object.keys(ENTRIES).join('|')}> [args…]\n`,
    );
    process.exit(2);
  }

  if (!isBuildFresh(root)) {
    process.stderr.write('Sources changed since the last build (or none yet): building…\n');
    if (!(await build(root))) {
      process.stderr.write('The build failed (see above); fix it, or run npm run build.\n');
      process.exit(1);
    }
  }

  // The entry reads its arguments from process.argv, as if it had been started directly.
  const entryPath = join(root, entry);
  process.argv = [process.execPath, entryPath, ...args];
  createRequire(import.meta.url)(entryPath);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
