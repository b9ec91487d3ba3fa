'use strict';
// Runs in an app holding only Nest and @gatekeeper/feature-flags: no other @gatekeeper package,
// no Terminus, ioredis or TypeORM. Prints what the flag client answered before and after.
const { NestFactory } = require('@nestjs/core');
const {
  FEATURE_FLAG_STORAGE,
  FeatureFlagClient,
  FeatureFlagsModule,
} = require('@gatekeeper/feature-flags');

async function main() {
  const app = await NestFactory.createApplicationContext(FeatureFlagsModule.forRoot({}), {
    logger: false,
  });
  const client = app.get(FeatureFlagClient);
  const before = await client.isEnabled('alone');
  await app.get(FEATURE_FLAG_STORAGE).createFlag({ key: 'alone', defaultEnabled: true });
  const after = await client.isEnabled('alone');
  await app.close();
  console.log(JSON.stringify({ before, after }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
