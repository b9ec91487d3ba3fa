// Builds every lib to dist/libs/<name>/ (CommonJS + .d.ts) and the demo app to dist/apps/demo/.
// One tsc pass keeps the shared internal lib a single copy; tsc-alias turns the
// `@gatekeeper/*` path aliases into relative requires so the output runs without a loader.
// tools/pack.mjs imports this file to turn the same output into npm tarballs.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const root = fileURLToPath(new URL('..', import.meta.url));
const defaultOutDir = join(root, 'dist');

/** Every lib under libs/ with its source manifest (libs/<name>/package.json). */
export function libs(outDir = defaultOutDir) {
  return readdirSync(join(root, 'libs'))
    .filter((name) => existsSync(join(root, 'libs', name, 'package.json')))
    .map((name) => ({
      name,
      manifest: JSON.parse(readFileSync(join(root, 'libs', name, 'package.json'), 'utf8')),
      /** Where build(outDir) puts the compiled `libs/<name>/src`. */
      compiledSrc: join(outDir, 'libs', name, 'src'),
    }));
}

/** `outDir` other than dist/ lets tools/pack.mjs (and its test) build without touching dist/. */
export function build(outDir = defaultOutDir) {
  const run = (bin, args) =>
    execFileSync(process.execPath, [bin, ...args], { cwd: root, stdio: 'inherit' });

  rmSync(outDir, { recursive: true, force: true });
  run(require.resolve('typescript/bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', outDir]);
  run(require.resolve('tsc-alias/dist/bin/index.js'), [
    '-p',
    'tsconfig.build.json',
    '--outDir',
    outDir,
  ]);

  // `require('./dist/libs/<name>')` must work: give each lib an entry point and its package.json.
  for (const { name, manifest, compiledSrc } of libs(outDir)) {
    if (!existsSync(join(compiledSrc, 'index.js'))) continue;
    const out = join(outDir, 'libs', name);
    writeFileSync(
      join(out, 'index.js'),
      "'use strict';\nmodule.exports = require('./src/index.js');\n",
    );
    writeFileSync(join(out, 'index.d.ts'), "export * from './src/index';\n");
    writeFileSync(
      join(out, 'package.json'),
      JSON.stringify({ ...manifest, main: 'index.js', types: 'index.d.ts' }, null, 2) + '\n',
    );
    const readme = join(root, 'libs', name, 'README.md');
    if (existsSync(readme)) copyFileSync(readme, join(out, 'README.md'));
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) build();
