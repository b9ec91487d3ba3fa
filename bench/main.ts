import { runEvaluation } from './evaluation.bench';
import { runHttp } from './http.bench';
import { runMemory } from './memory.bench';
import { runPatterns } from './patterns.bench';
import { runPropagation } from './propagation.bench';
import { runStorage } from './storage.bench';
import { runVerification } from './verification.bench';
import { report, type PartResult } from './support/result';

/** One benchmark part per process (bench/run.mjs starts them): `node main.js <a|b|c|d|e|f|g>`. */
const PARTS: Record<string, () => Promise<PartResult>> = {
  a: runEvaluation,
  b: runHttp,
  c: runStorage,
  d: runPropagation,
  e: runMemory,
  f: runVerification,
  g: runPatterns,
};

async function main(): Promise<void> {
  const part = PARTS[process.argv[2]];
  if (!part) throw new Error(`usage: main.js <${Object.keys(PARTS).join('|')}>`);
  report(await part());
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
