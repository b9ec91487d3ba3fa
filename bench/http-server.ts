import {
  Controller,
  Get,
  Injectable,
  Module,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { ApiAuthModule, ApiKeyGuard, ApiKeyService } from '@gatekeeper/api-auth';
import {
  FEATURE_FLAG_STORAGE,
  FeatureFlag,
  FeatureFlagsModule,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';

/**
 * The app part b loads: one handler behind three front doors. Run in its own process so the load
 * generator does not share its event loop. Configuration as in production: Redis backends with
 * the in-process caches on.
 */
@Injectable()
class PassportApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, 'api-key') {
  constructor(private readonly keys: ApiKeyService) {
    super({ header: 'x-api-key', prefix: '' }, false);
  }

  // The same lookup our guard makes: ApiKeyService.verify.
  async validate(rawKey: string) {
    try {
      return await this.keys.verify(rawKey);
    } catch {
      throw new UnauthorizedException();
    }
  }
}

const BODY = { ok: true };

@Controller()
class BenchController {
  @Get('open')
  open() {
    return BODY;
  }

  @Get('guarded')
  @UseGuards(ApiKeyGuard)
  @FeatureFlag('bench-route')
  guarded() {
    return BODY;
  }

  @Get('key-only')
  @UseGuards(ApiKeyGuard)
  keyOnly() {
    return BODY;
  }

  @Get('flag-only')
  @FeatureFlag('bench-route')
  flagOnly() {
    return BODY;
  }

  /** The server's CPU time so far (µs), so the bench can report CPU per request. */
  @Get('cpu-usage')
  cpuUsage() {
    const { user, system } = process.cpuUsage();
    return { micros: user + system };
  }

  @Get('passport')
  @UseGuards(AuthGuard('api-key'))
  passport() {
    return BODY;
  }
}

async function main(): Promise<void> {
  const redisUrl = process.env.BENCH_REDIS_URL!;
  // The part b row "metrics: true" runs a second server with the Prometheus metrics on.
  const metrics = process.env.BENCH_METRICS === '1';
  @Module({
    imports: [
      PassportModule,
      ApiAuthModule.forRoot({
        backend: 'redis',
        redisUrl,
        redisPrefix: 'bench-http-keys:',
        localCache: { ttl: 5 },
        metrics,
      }),
      FeatureFlagsModule.forRoot({
        backend: 'redis',
        redisUrl,
        redisPrefix: 'bench-http:',
        localCache: { ttl: 30 },
        metrics,
      }),
    ],
    controllers: [BenchController],
    providers: [PassportApiKeyStrategy],
  })
  class BenchHttpModule {}

  const app = await NestFactory.create(BenchHttpModule, { logger: false });
  const flags = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
  await flags.deleteFlag('bench-route');
  await flags.createFlag({ key: 'bench-route', defaultEnabled: true });
  const { key } = await app
    .get(ApiKeyService)
    .create({ name: 'bench', ownerId: 'bench', scopes: [] });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  process.stdout.write(`READY ${address.port} ${key}\n`);
  process.on('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
}

void main();
