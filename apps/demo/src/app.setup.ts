import type { INestApplication } from '@nestjs/common';
import { setupOpenApi } from './openapi/openapi.setup';

/** What main.ts and the e2e tests both do to the app before it listens. */
export function configureApp(app: INestApplication): INestApplication {
  setupOpenApi(app);
  return app;
}
