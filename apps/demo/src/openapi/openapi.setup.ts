import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { API_KEY_SECURITY, BEARER_SECURITY } from './openapi.constants';

/** Swagger UI at /docs, the OpenAPI document (JSON) at /docs-json. */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Gatekeeper demo: orders API')
    .setDescription(
      'A small orders service built on @gatekeeper/api-auth and @gatekeeper/feature-flags. ' +
        'Routes marked with a lock need an API key in the `x-api-key` header ' +
        '(or `Authorization: Bearer <key>`); the scope each needs is in its description.',
    )
    .setVersion('0.2.0')
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key, e.g. sk_…' },
      API_KEY_SECURITY,
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        // Not a JWT (the default hint): the same opaque API key as in x-api-key.
        bearerFormat: 'API key',
        description: 'The same API key, as Authorization: Bearer sk_…',
      },
      BEARER_SECURITY,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document);
  return document;
}
