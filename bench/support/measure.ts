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
 * Runs every candidate `rounds` times, interleaved (a, b, c, a, b, c…) so background load hits
 * them alike, and keeps each one's best round.
 */
export async function bestOf(
  candidates: Record<string, (i: number) => unknown>,
  rounds = 3,
  ms = 250,
): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(candidates)) {
      const ns = await nsPerOp(fn, { ms });
      best[name] = Math.min(best[name] ?? Infinity, ns);
    }
  }
  return best;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}
