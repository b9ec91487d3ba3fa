import { spawn } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { fmt, ratio, type PartResult } from './support/result';

/** Part b: requests per second on one route, unguarded, with our guards, with passport. */
const ROUTES = ['open', 'guarded', 'passport', 'key-only', 'flag-only'] as const;
type Route = (typeof ROUTES)[number];
const LABELS: Record<Route, string> = {
  open: 'unguarded',
  guarded: 'ApiKeyGuard + @FeatureFlag (ours)',
  passport: 'passport-headerapikey via @nestjs/passport',
  'key-only': '(breakdown) ApiKeyGuard only',
  'flag-only': '(breakdown) @FeatureFlag only',
};
// Many short rounds, each running every route back to back: a route is compared with the
// unguarded run of its own round, so drift on a shared machine (other tenants, CPU boost) hits
// both sides of each ratio, and the median over rounds ignores a round that was disturbed. On a
// 2-core VM one round's guarded/unguarded ratio spreads by ±10 points (one-second windows spread
// more: the noise has a short period), so the median needs this many rounds to settle within a
// couple of points; nine rounds gave medians 6 points apart for one build within the hour.
const SECONDS = 2;
const ROUNDS = 15;

async function startServer(
  metrics = false,
): Promise<{ port: number; key: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...process.execArgv, join(__dirname, 'http-server.js')], {
    env: { ...process.env, BENCH_METRICS: metrics ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /READY .*\n/.exec(out);
      if (line) resolve(line[0]);
    });
    child.once('exit', (code) => reject(new Error(`bench HTTP server exited with ${code}`)));
  });
  const [, port, key] = ready.trim().split(' ');
  return {
    port: Number(port),
    key,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function load(
  base: string,
  route: Route,
  key: string,
  seconds: number,
): Promise<{ rps: number; non2xx: number; p99: number; cpuMicros: number }> {
  const cpuBefore = await serverCpu(base);
  const result = await autocannon({
    url: `${base}/${route}`,
    connections: 16,
    duration: seconds,
    headers: { 'x-api-key': key },
  });
  const cpuMicros = ((await serverCpu(base)) - cpuBefore) / result.requests.total;
  return {
    rps: result.requests.average,
    non2xx: result.non2xx,
    p99: result.latency.p99,
    cpuMicros,
  };
}

/** The server process's CPU time so far, in µs. */
async function serverCpu(base: string): Promise<number> {
  const response = await fetch(`${base}/cpu-usage`);
  return ((await response.json()) as { micros: number }).micros;
}

export async function runHttp(): Promise<PartResult> {
  const server = await startServer();
  const base = `http://127.0.0.1:${server.port}`;
  try {
    for (const route of ROUTES) await load(base, route, server.key, 1); // warm-up
    const rps = Object.fromEntries(ROUTES.map((r) => [r, [] as number[]])) as Record<
      Route,
      number[]
    >;
    const p99 = Object.fromEntries(ROUTES.map((r) => [r, [] as number[]])) as Record<
      Route,
      number[]
    >;
    const cpu = Object.fromEntries(ROUTES.map((r) => [r, [] as number[]])) as Record<
      Route,
      number[]
    >;
    let errors = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const route of ROUTES) {
        const result = await load(base, route, server.key, SECONDS);
        rps[route].push(result.rps);
        p99[route].push(result.p99);
        cpu[route].push(result.cpuMicros);
        errors += result.non2xx;
      }
    }
    const rate = Object.fromEntries(ROUTES.map((r) => [r, median(rps[r])])) as Record<
      Route,
      number
    >;
    // Per round, then the median: see ROUNDS.
    const vsOpen = (route: Route) => median(rps[route].map((value, i) => value / rps.open[i]));
    const guardedRounds = rps.guarded.map((value, i) => value / rps.open[i]);
    const guardedVsOpen = median(guardedRounds);
    const guardedVsPassport = median(rps.guarded.map((value, i) => value / rps.passport[i]));
    const metered = await withMetrics();
    return {
      part: 'b',
      title: `b) HTTP, autocannon: 16 connections, ${ROUNDS} rounds of ${SECONDS} s per route, routes interleaved (median requests/s, higher is better)`,
      headers: [
        'route',
        'req/s',
        'vs unguarded (median of rounds)',
        'server CPU µs/req',
        'p99 latency ms',
      ],
      rows: [
        ...ROUTES.map((route) => [
          LABELS[route],
          fmt(rate[route]),
          ratio(vsOpen(route)),
          fmt(median(cpu[route]), 1),
          fmt(Math.max(...p99[route]), 1),
        ]),
        [
          `${LABELS.guarded}, metrics: true`,
          fmt(metered.rps),
          ratio(metered.vsOpen),
          fmt(metered.cpu, 1),
          fmt(metered.p99, 1),
        ],
      ],
      targets: [
        {
          name: 'b: guarded >= 90% of unguarded req/s',
          met: guardedVsOpen >= 0.9,
          detail: `${fmt(guardedVsOpen * 100, 1)}%`,
        },
        {
          name: 'b: guarded >= passport req/s',
          met: guardedVsPassport >= 1,
          detail: ratio(guardedVsPassport),
        },
        {
          name: 'b: with metrics: true, guarded >= 85% of unguarded req/s',
          met: metered.vsOpen >= 0.85,
          detail: `${fmt(metered.vsOpen * 100, 1)}%`,
        },
        ...(errors > 0
          ? [{ name: 'b: every response 2xx', met: false, detail: `${errors} non-2xx` }]
          : []),
      ],
      notes: [
        'Server in its own process (Express, Redis backends, localCache: { ttl: 30 } for flags and { ttl: 5 } for keys); autocannon in the bench process.',
        'Passport strategy validates with ApiKeyService.verify, the same lookup ApiKeyGuard makes.',
        "metrics: true: a second server with both modules' Prometheus metrics on, its guarded route against its own unguarded one, the same rounds.",
        'Server CPU µs/req: user + system time of the server process per request (median of rounds); the server is CPU-bound, so req/s follows it.',
        `Guarded / unguarded per round: ${guardedRounds.map((r) => `${fmt(r * 100)}%`).join(', ')} (the spread is the machine's noise; the median is the figure).`,
      ],
    };
  } finally {
    await server.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Part b's guarded and unguarded routes on a server with `metrics: true`, in rounds as above. */
async function withMetrics(): Promise<{ rps: number; vsOpen: number; cpu: number; p99: number }> {
  const server = await startServer(true);
  const base = `http://127.0.0.1:${server.port}`;
  try {
    for (const route of ['open', 'guarded'] as const) await load(base, route, server.key, 1);
    const open: number[] = [];
    const guarded: Array<Awaited<ReturnType<typeof load>>> = [];
    for (let round = 0; round < ROUNDS; round++) {
      open.push((await load(base, 'open', server.key, SECONDS)).rps);
      guarded.push(await load(base, 'guarded', server.key, SECONDS));
    }
    return {
      rps: median(guarded.map((result) => result.rps)),
      vsOpen: median(guarded.map((result, i) => result.rps / open[i])),
      cpu: median(guarded.map((result) => result.cpuMicros)),
      p99: Math.max(...guarded.map((result) => result.p99)),
    };
  } finally {
    await server.stop();
  }
}
