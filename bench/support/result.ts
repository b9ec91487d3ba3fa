/** What one benchmark part reports to bench/run.mjs (as JSON on stdout). */
export interface PartResult {
  part: string;
  title: string;
  headers: string[];
  rows: string[][];
  targets: Target[];
  notes?: string[];
}

export interface Target {
  name: string;
  met: boolean;
  detail: string;
}

export const RESULT_MARKER = '@@BENCH_RESULT ';

export function report(result: PartResult): void {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

export function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function ratio(value: number): string {
  return `${value.toFixed(2)}x`;
}

/**
 * Bench servers come from the test harness; run.mjs passes their URLs (the Redis Cluster's only
 * to the part that measures it).
 */
export function benchUrls(): { redis: string; postgres: string; redisCluster?: string } {
  const redis = process.env.BENCH_REDIS_URL;
  const postgres = process.env.BENCH_POSTGRES_URL;
  if (!redis || !postgres) throw new Error('run the benchmarks with `npm run bench`');
  return { redis, postgres, redisCluster: process.env.BENCH_REDIS_CLUSTER_URL };
}
