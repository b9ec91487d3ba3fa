import { API_KEY_REGEX, ApiKeyService, MemoryApiKeyStorage } from '@gatekeeper/api-auth';
import request from 'supertest';
import { createTestApp } from './fixtures/api-auth-test-app';
import { CapturingLogger } from '../support/capturing-logger';
import { eventually } from '../support/eventually';

describe('logging (e2e)', () => {
  it('never writes a plaintext key during a full create / verify / rotate / revoke cycle', async () => {
    const logger = new CapturingLogger();
    const storage = new MemoryApiKeyStorage();
    const app = await createTestApp({ auth: { storage }, logger });
    const http = () => request(app.getHttpServer());
    const apiKeys = app.get(ApiKeyService);

    const { key, apiKey } = await apiKeys.create({ name: 'ci', ownerId: 'owner-1', scopes: [] });
    await http().get('/local/me').set('x-api-key', key).expect(200);
    await http().get('/local/me').set('Authorization', `Bearer ${key}`).expect(200);

    const rotated = await apiKeys.rotate(apiKey.id, { gracePeriodSeconds: 60 });
    await http().get('/local/me').set('x-api-key', rotated.key).expect(200);

    // Failure paths log too: a storage outage, a failing lastUsedAt write, refused keys.
    const touch = jest.spyOn(storage, 'touch').mockRejectedValue(new Error('write refused'));
    const another = await apiKeys.create({ name: 'other', ownerId: 'owner-1', scopes: [] });
    await http().get('/local/me').set('x-api-key', another.key).expect(200);
    expect(await eventually(async () => touch.mock.calls.length > 0)).toBe(true);
    jest.spyOn(storage, 'getByHash').mockRejectedValueOnce(new Error('connection reset'));
    await http().get('/local/me').set('x-api-key', another.key).expect(503);

    await apiKeys.revoke(apiKey.id);
    await apiKeys.revoke(rotated.apiKey.id);
    await http().get('/local/me').set('x-api-key', key).expect(401);
    await http().get('/local/me').set('x-api-key', rotated.key).expect(401);
    await http().get('/local/me').set('x-api-key', `${key}x`).expect(401);
    await app.close();

    const output = logger.lines.join('\n');
    // The capture works: the cycle is visible by id and the failures were reported.
    expect(output).toContain(`Created API key ${apiKey.id}`);
    expect(output).toContain(`Revoked API key ${rotated.apiKey.id}`);
    expect(output).toContain('write refused');
    expect(output).toContain('connection reset');

    for (const plaintext of [key, rotated.key, another.key]) {
      expect(output).not.toContain(plaintext);
      // Not even the secret part without the prefix, or most of it.
      expect(output).not.toContain(plaintext.slice(3, 3 + 16));
      expect(output).not.toContain(plaintext.slice(-16));
    }
    expect(output).not.toMatch(API_KEY_REGEX);
  });
});
