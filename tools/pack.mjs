// `npm run pack`: builds (tools/build.mjs), then turns every public lib into a self-contained npm
// tarball in dist/packages/. The internal libs (private manifests, i.e. libs/common) travel inside
// each package under dist/internal/<name>/, so a package installs alone: no @gatekeeper/* dependency.
// `node tools/pack.mjs --out-dir <dir>` builds into <dir> and writes <dir>/packages/ instead,
// leaving dist/ alone (the consumer test does that).
//
// Package layout (dist/packages/<name>/ is the unpacked tarball, kept for inspection):
//   package.json  README.md  LICENSE
//   dist/index.js, dist/index.d.ts, …      compiled libs/<name>/src (CommonJS + declarations)
//   dist/internal/common/…                 compiled libs/common/src, this package's own copy
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { build, libs, root } from './build.mjs';

const { values: args } = parseArgs({ options: { 'out-dir': { type: 'string' } } });
const buildDir = resolve(root, args['out-dir'] ?? 'dist');
const outDir = join(buildDir, 'packages');

/** Relative module specifiers in emitted JS and declarations: require, import, export … from. */
const RELATIVE_SPECIFIER =
  /(\brequire\(\s*|\bimport\(\s*|\bfrom\s+|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;
const BARE_SPECIFIER =
  /(\brequire\(\s*|\bimport\(\s*|\bfrom\s+|\bimport\s+)(['"])([^.'"][^'"]*)\2/g;

/** Fields written by this script; everything else comes from libs/<name>/package.json. */
const ENTRY = {
  type: 'commonjs',
  main: './dist/index.js',
  types: './dist/index.d.ts',
  exports: {
    '.': {
      types: './dist/index.d.ts',
      require: './dist/index.js',
      default: './dist/index.js',
    },
    './package.json': './package.json',
  },
  files: ['dist'],
};

function* walk(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

const shown = (path) => (path.startsWith(root) ? relative(root, path) : path);

const toSpecifier = (fromDir, target) => {
  const path = relative(fromDir, target).split(sep).join('/');
  return path.startsWith('.') ? path : `./${path}`;
};

/**
 * Copies the compiled trees into the package, rewriting each relative specifier so it points at
 * the same file in its new place: the lib's `require("../../common/src/index.js")` (what tsc-alias
 * made of `@gatekeeper/common`) becomes `require("./internal/common/index.js")`.
 */
function stage(trees) {
  const place = (path) => {
    const tree = trees.find(({ from }) => path === from || path.startsWith(from + sep));
    return tree && join(tree.to, relative(tree.from, path));
  };
  for (const { from } of trees) {
    for (const file of walk(from)) {
      const dest = place(file);
      mkdirSync(dirname(dest), { recursive: true });
      const text = readFileSync(file, 'utf8').replace(
        RELATIVE_SPECIFIER,
        (match, lead, quote, specifier) => {
          const target = place(resolve(dirname(file), specifier));
          if (!target) throw new Error(`${file}: '${specifier}' points outside the package`);
          return `${lead}${quote}${toSpecifier(dirname(dest), target)}${quote}`;
        },
      );
      writeFileSync(dest, text);
    }
  }
}

/**
 * Fails unless every import in the package resolves inside it, to node, or to a declared peer or
 * dependency.
 */
function verify(dir, manifest) {
  const declared = Object.keys({ ...manifest.peerDependencies, ...manifest.dependencies });
  const problems = [];
  for (const file of walk(join(dir, 'dist'))) {
    const declaration = file.endsWith('.d.ts');
    if (!declaration && !file.endsWith('.js')) continue;
    const text = readFileSync(file, 'utf8');
    for (const [, , , specifier] of text.matchAll(RELATIVE_SPECIFIER)) {
      const base = resolve(dirname(file), specifier);
      const candidates = declaration
        ? [base.replace(/\.js$/, '.d.ts'), `${base}.d.ts`, join(base, 'index.d.ts')]
        : [base, `${base}.js`, join(base, 'index.js')];
      if (!candidates.some((path) => existsSync(path) && statSync(path).isFile())) {
        problems.push(`${relative(dir, file)}: '${specifier}' resolves to nothing`);
      }
    }
    for (const [, , , specifier] of text.matchAll(BARE_SPECIFIER)) {
      const name = specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : specifier.split('/')[0];
      const builtin = specifier.startsWith('node:') || builtinModules.includes(name);
      if (!builtin && !declared.includes(name)) {
        problems.push(`${relative(dir, file)}: imports '${specifier}', not a declared dependency`);
      }
    }
  }
  if (problems.length) {
    throw new Error(`${manifest.name} is not self-contained:\n  ${problems.join('\n  ')}`);
  }
}

build(buildDir);

const all = libs(buildDir);
const internal = all.filter(({ manifest }) => manifest.private);
for (const { name, manifest, compiledSrc } of all.filter(({ manifest }) => !manifest.private)) {
  const dir = join(outDir, name);
  stage([
    { from: compiledSrc, to: join(dir, 'dist') },
    ...internal.map((lib) => ({ from: lib.compiledSrc, to: join(dir, 'dist/internal', lib.name) })),
  ]);
  const { peerDependencies, peerDependenciesMeta, ...about } = manifest;
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ ...about, ...ENTRY, peerDependencies, peerDependenciesMeta }, null, 2) + '\n',
  );
  copyFileSync(join(root, 'libs', name, 'README.md'), join(dir, 'README.md'));
  copyFileSync(join(root, 'LICENSE'), join(dir, 'LICENSE'));
  verify(dir, manifest);

  const [report] = JSON.parse(
    execFileSync('npm', ['pack', dir, '--pack-destination', outDir, '--json'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const packed = report.files.map(({ path }) => path);
  const stray = packed.filter((path) => /(\.spec\.|\.e2e-spec\.|\.map$|(^|\/)test\/)/.test(path));
  if (stray.length) throw new Error(`${report.filename} would ship ${stray.join(', ')}`);
  const left = [...walk(dir)]
    .map((file) => relative(dir, file).split(sep).join('/'))
    .filter((path) => !packed.includes(path));
  if (left.length) throw new Error(`${report.filename} leaves out ${left.join(', ')}`);
  console.log(
    `${shown(join(outDir, report.filename))}  ${report.entryCount} files, ` +
      `${(report.size / 1024).toFixed(1)} kB`,
  );
}
