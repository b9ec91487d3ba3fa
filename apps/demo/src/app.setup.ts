import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { applyBodyLimits } from './common/body-limits';
import { setupOpenApi } from './openapi/openapi.setup';

export { BODY_PARSER_OFF } from './common/body-limits';

/**
 * What main.ts and the e2e tests both do to the app before it listens. The app must be created
 * with `BODY_PARSER_OFF`: the body parser installed here is the only one.
 */
export function configureApp(app: INestApplication): INestApplication {
  applyBodyLimits(app as NestExpressApplication);
  setupOpenApi(app);
  return app;
}
