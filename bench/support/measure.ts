/**
 * Nanoseconds per call of `fn`, run for about `ms` milliseconds after a warm-up. Awaits each call
 * when `fn` returns a promise (the way an application calls an async API). Bounded: at most
 * `maxOps` calls.
 */
export async function nsPerOp(
  fn: (i: number) => unknown,
  {
    ms = 250,
    warmupMs = 50,
    maxOps = 20_000_000,
  }: { ms?: number; warmupMs?: number; maxOps?: number } = {},
): Promise<number> {
  await runFor(fn, warmupMs, maxOps);
  const { ops, elapsedNs } = await runFor(fn, ms, maxOps);
  return elapsedNs / ops;
}

async function runFor(
  fn: (i: number) => unknown,
  ms: number,
  maxOps: number,
): Promise<{ ops: number; elapsedNs: number }> {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  const first = fn(0);
  const isAsync = first instanceof Promise;
  if (isAsync) await first;
  let ops = 1;
  const batch = 256;
  while (ops < maxOps) {
    if (isAsync) {
      for (let i = 0; i < batch; i++) await fn(ops + i);
    } else {
      for (let i = 0; i < batch; i++) fn(ops + i);
    }
    ops += batch;
    if (process.hrtime.bigint() >= deadline) break;
  }
  return { ops, elapsedNs: Number(process.hrtime.bigint() - start) };
}

/**
 * Nanoseconds per call of each candidate over `windows` short windows that alternate between them
 * (a, b, a, b…, the order reversed every other window), each candidate's calls and time summed.
 * A shared VM's speed drifts by a third within seconds: short alternating windows put every
 * candidate under the same drift, where a best-of of long rounds compared each one's luckiest
 * round (part c once read 0.82x and 1.31x in one hour). The sums keep every call's cost, garbage
 * collection included.
 */
export async function interleaved(
  candidates: Record<string, (i: number) => unknown>,
  windows: number,
  windowMs: number,
): Promise<Record<string, number>> {
  const entries = Object.entries(candidates);
  for (const [, fn] of entries) await runFor(fn, windowMs, Infinity); // warm-up
  const totals = new Map(entries.map(([name]) => [name, { ops: 0, elapsedNs: 0 }]));
  for (let window = 0; window < windows; window++) {
    const order = window % 2 === 0 ? entries : [...entries].reverse();
    for (const [name, fn] of order) {
      const { ops, elapsedNs } = await runFor(fn, windowMs, Infinity);
      const total = totals.get(name)!;
      total.ops += ops;
      total.elapsedNs += elapsedNs;
    }
  }
  return Object.fromEntries([...totals].map(([name, t]) => [name, t.elapsedNs / t.ops]));
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}
