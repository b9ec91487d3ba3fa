'use strict';
// Loaded with `node -r`: maps `@gatekeeper/<lib>` to the build under GATEKEEPER_BENCH_DIST
// (default dist/), so the benchmarks measure the compiled libraries, not the sources.
const Module = require('node:module');
const path = require('node:path');

const dist = path.resolve(process.env.GATEKEEPER_BENCH_DIST || path.join(__dirname, '../../dist'));
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const match = /^@gatekeeper\/([a-z-]+)$/.exec(request);
  if (match)
    return resolve.call(this, path.join(dist, 'libs', match[1], 'src', 'index.js'), ...rest);
  return resolve.call(this, request, ...rest);
};
