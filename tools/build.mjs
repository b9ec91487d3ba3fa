// Builds every lib to dist/libs/<name>/ (CommonJS + .d.ts) and the demo app to dist/apps/demo/.
// One tsc pass keeps the shared internal lib a single copy; tsc-alias turns the
// `@gatekeeper/*` path aliases into relative requires so the output runs without a loader.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const run = (bin, args) =>
  execFileSync(process.execPath, [bin, ...args], { cwd: root, stdio: 'inherit' });

rmSync(join(root, 'dist'), { recursive: true, force: true });
run(require.resolve('typescript/bin/tsc'), ['-p', 'tsconfig.build.json']);
run(require.resolve('tsc-alias/dist/bin/index.js'), ['-p', 'tsconfig.build.json']);

// `require('./dist/libs/<name>')` must work: give each lib an entry point and its package.json.
for (const name of readdirSync(join(root, 'libs'))) {
  const out = join(root, 'dist/libs', name);
  if (!existsSync(join(out, 'src/index.js'))) continue;
  writeFileSync(
    join(out, 'index.js'),
    "'use strict';\nmodule.exports = require('./src/index.js');\n",
  );
  writeFileSync(join(out, 'index.d.ts'), "export * from './src/index';\n");
  const manifest = join(root, 'libs', name, 'package.json');
  if (existsSync(manifest)) {
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    writeFileSync(
      join(out, 'package.json'),
      JSON.stringify({ ...pkg, main: 'index.js', types: 'index.d.ts' }, null, 2) + '\n',
    );
  }
  const readme = join(root, 'libs', name, 'README.md');
  if (existsSync(readme)) copyFileSync(readme, join(out, 'README.md'));
}
