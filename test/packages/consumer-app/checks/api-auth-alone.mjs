// Runs in an app holding only Nest and @gatekeeper/api-auth: no other @gatekeeper package, no
// Terminus, ioredis or TypeORM. Named imports from the CommonJS package, as an ES module app does.
import { ApiAuthModule, ApiKeyService } from '@gatekeeper/api-auth';
import { NestFactory } from '@nestjs/core';

const app = await NestFactory.createApplicationContext(ApiAuthModule.forRoot({}), {
  logger: false,
});
const keys = app.get(ApiKeyService);
const { key } = await keys.create({ name: 'alone', ownerId: 'alone', scopes: ['reports:read'] });
const verified = await keys.verify(key);
await app.close();
console.log(JSON.stringify({ ownerId: verified.ownerId, scopes: verified.scopes }));
