import './tracing.js';
import { ApiKeyService } from '@gatekeeper/api-auth';
import { FeatureFlagClient, GatekeeperProvider } from '@gatekeeper/feature-flags';
import { NestFactory } from '@nestjs/core';
import { OpenFeature } from '@openfeature/nestjs-sdk';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  // OpenFeature reads the flags the module's storage holds (READY once that storage answers).
  await OpenFeature.setProviderAndWait(new GatekeeperProvider(app.get(FeatureFlagClient)));

  // Keys for the client; a real service would issue them from an admin endpoint.
  const keys = app.get(ApiKeyService);
  const admin = await keys.create({
    name: 'admin',
    ownerId: 'admin',
    scopes: ['flags:write', 'reports:read'],
  });
  const reader = await keys.create({ name: 'reader', ownerId: 'reader', scopes: ['reports:read'] });

  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  console.log(JSON.stringify({ url, adminKey: admin.key, readerKey: reader.key }));

  // No enableShutdownHooks(): that re-kills the process after closing, which would hide a client
  // left open. The process must exit on its own once close() has released everything.
  process.once('SIGTERM', () => {
    const started = Date.now();
    void app.close().then(() => console.log(JSON.stringify({ closedInMs: Date.now() - started })));
  });
}

void bootstrap();
