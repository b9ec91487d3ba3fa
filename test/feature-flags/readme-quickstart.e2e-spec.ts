import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from './fixtures/quickstart/app.module';

const QUICKSTART_FILES = ['app.module.ts', 'flag.seeder.ts', 'checkout.controller.ts'];

/** The README's TypeScript blocks that start with a `// <file name>` comment, by file name. */
function readmeFiles(): Map<string, string> {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Feature flags'));
  const files = new Map<string, string>();
  for (const [, code] of section.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const name = /^\/\/ (\S+\.ts)\n/.exec(code)?.[1];
    if (name && !files.has(name)) files.set(name, code);
  }
  return files;
}

describe('README feature-flags quick start', () => {
  it.each(QUICKSTART_FILES)('shows %s exactly as tested here', (file) => {
    const tested = readFileSync(join(__dirname, 'fixtures/quickstart', file), 'utf8');
    expect(readmeFiles().get(file)).toBe(tested);
  });

  describe('the app', () => {
    let app: INestApplication;

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.init();
    });

    afterAll(async () => {
      await app.close();
    });

    it('answers as the README says', async () => {
      await request(app.getHttpServer())
        .get('/checkout')
        .set('CF-IPCountry', 'DE')
        .expect(200, { checkout: 'new', copy: 'Buy now' });
      await request(app.getHttpServer()).get('/checkout').expect(404);

      const flags = await request(app.getHttpServer()).get('/checkout/flags?user=user-123');
      expect(flags.status).toBe(200);
      expect(Object.keys(flags.body).sort()).toEqual(['checkout-copy', 'new-checkout']);
      expect(flags.body['checkout-copy']).toMatchObject({ value: 'Buy now', reason: 'STATIC' });
    });
  });
});
