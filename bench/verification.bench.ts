import { Agent, request } from 'node:http';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiAuthModule, ApiKeyGuard, generateApiKey } from '@gatekeeper/api-auth';
import { percentile } from './support/measure';
import { benchUrls, fmt, ratio, type PartResult } from './support/result';

/**
 * Part f: what a prober sees of a malformed key next to an unknown one, through `ApiKeyGuard`
 * over HTTP. Requests go one at a time, the two kinds in random order, every key fresh (nothing
 * is cached); the latency is from sending the request to the end of the 401.
 */
const PER_KIND = 2000;
const WARM_UP = 300;
const TARGET = { low: 0.9, high: 1.1 };

@Controller()
class VerificationController {
  @Get('me')
  @UseGuards(ApiKeyGuard)
  me() {
    return { ok: true };
  }
}

/** A well-formed key with one checksum character changed: same length, same hash cost. */
function malformedKey(): string {
  const key = generateApiKey();
  const last = key[key.length - 1];
  return key.slice(0, -1) + (last === 'a' ? 'b' : 'a');
}

function timedGet(
  port: number,
  agent: Agent,
  key: string,
): Promise<{ ms: number; status: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      { host: '127.0.0.1', port, path: '/me', agent, headers: { 'x-api-key': key } },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            status: res.statusCode ?? 0,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function measure(
  connectionString: string,
): Promise<{ unknown: number[]; malformed: number[]; unexpected: number }> {
  @Module({
    imports: [ApiAuthModule.forRoot({ backend: 'database', connectionString })],
    controllers: [VerificationController],
  })
  class VerificationBenchModule {}

  const app = await NestFactory.create(VerificationBenchModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples = { unknown: [] as number[], malformed: [] as number[], unexpected: 0 };
  try {
    const kinds = [
      ...Array.from({ length: WARM_UP }, (_, i) => ({
        kind: i % 2 ? 'unknown' : 'malformed',
        keep: false,
      })),
      ...shuffle([
        ...Array.from({ length: PER_KIND }, () => ({ kind: 'unknown', keep: true })),
        ...Array.from({ length: PER_KIND }, () => ({ kind: 'malformed', keep: true })),
      ]),
    ] as Array<{ kind: 'unknown' | 'malformed'; keep: boolean }>;
    for (const { kind, keep } of kinds) {
      const key = kind === 'unknown' ? generateApiKey() : malformedKey();
      const { ms, status } = await timedGet(port, agent, key);
      if (status !== 401) samples.unexpected++;
      if (keep) samples[kind].push(ms);
    }
  } finally {
    agent.destroy();
    await app.close();
  }
  return samples;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

export async function runVerification(): Promise<PartResult> {
  const { postgres } = benchUrls();
  const backends: Array<[string, string]> = [
    ['sqlite (:memory:)', 'sqlite::memory:'],
    ['postgres', postgres],
  ];
  const rows: string[][] = [];
  const targets: PartResult['targets'] = [];
  for (const [name, connectionString] of backends) {
    const { unknown, malformed, unexpected } = await measure(connectionString);
    unknown.sort((a, b) => a - b);
    malformed.sort((a, b) => a - b);
    const medianRatio = percentile(malformed, 50) / percentile(unknown, 50);
    rows.push([
      name,
      fmt(percentile(unknown, 50), 3),
      fmt(percentile(malformed, 50), 3),
      ratio(medianRatio),
      fmt(percentile(unknown, 90), 3),
      fmt(percentile(malformed, 90), 3),
    ]);
    targets.push({
      name: `f: malformed / unknown key median latency within ${TARGET.low}–${TARGET.high} on ${name}`,
      met: medianRatio >= TARGET.low && medianRatio <= TARGET.high && unexpected === 0,
      detail: unexpected === 0 ? ratio(medianRatio) : `${unexpected} answers other than 401`,
    });
  }
  return {
    part: 'f',
    title: `f) Malformed vs unknown keys through ApiKeyGuard over HTTP: ${PER_KIND} of each, interleaved at random, one in flight (ms)`,
    headers: [
      'backend',
      'unknown p50',
      'malformed p50',
      'ratio p50',
      'unknown p90',
      'malformed p90',
    ],
    rows,
    targets,
    notes: [
      'A malformed key is refused without a storage lookup, after a wait drawn from the durations of recent lookups that found nothing (see docs/security.md).',
    ],
  };
}
