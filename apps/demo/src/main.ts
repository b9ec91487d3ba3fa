import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { BODY_PARSER_OFF, configureApp } from './app.setup';
import { describeStorage, loadDemoConfig } from './config/demo.config';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Demo');
  const config = loadDemoConfig();
  logger.log(`Storage: ${describeStorage(config)}`);
  // abortOnError: false, so a startup failure reaches the catch below instead of process.abort().
  const app = configureApp(
    await NestFactory.create(AppModule.forRoot(config), {
      ...BODY_PARSER_OFF,
      abortOnError: false,
    }),
  );
  // SIGTERM/SIGINT: close the HTTP server and every storage connection, then exit 0. A second
  // signal during that (npm forwards Ctrl-C on top of the terminal's) does not cut it short:
  // these listeners stay, because Nest removes its own before exiting, and a process with no
  // listener left for a signal is killed by it.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.log(`${signal}: closing connections, then exiting`);
    });
  }
  await app.listen(config.port);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  logger.log(
    `Listening on ${url}: API docs at ${url}/docs (OpenAPI JSON at ${url}/docs-json), ` +
      `health at ${url}/health`,
  );
}

bootstrap().catch((error: unknown) => {
  // Nest has logged any details already; end with the one line that says what went wrong. Exit
  // explicitly: clients opened before the failure would otherwise keep reconnecting.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Gatekeeper demo could not start: ${message}\n`);
  process.exit(1);
});
