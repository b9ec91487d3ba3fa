import type { ApiKey } from '../models/api-key.model';
import { deserializeApiKey, replaceableFieldsJson, serializeApiKey } from './redis.serialization';

const apiKey: ApiKey = {
  id: 'id-1',
  name: 'Clé "CI" 🚀',
  ownerId: 'owner,"created_at":"x',
  prefix: 'sk_Ab12cd',
  keyHash: 'ab'.repeat(32),
  scopes: [],
  metadata: { list: [], big: 1234567890123456, text: ',"revoked_at":null,"last_used_at":null}' },
  createdAt: new Date('2030-01-01T00:00:00.123Z'),
  expiresAt: null,
  revokedAt: new Date('2030-01-02T00:00:00.000Z'),
  lastUsedAt: null,
  version: 3,
};

describe('Redis API-key JSON', () => {
  it('round-trips every field', () => {
    expect(deserializeApiKey(serializeApiKey(apiKey))).toEqual(apiKey);
  });

  it('is snake_case JSON in the segment order the Lua merge relies on', () => {
    const json = serializeApiKey(apiKey);
    expect(Object.keys(JSON.parse(json) as object)).toEqual([
      'id',
      'owner_id',
      'prefix',
      'key_hash',
      'created_at',
      'name',
      'scopes',
      'metadata',
      'expires_at',
      'revoked_at',
      'last_used_at',
      'version',
    ]);
    expect(json).toContain(replaceableFieldsJson(apiKey));
    expect(
      json.endsWith(',"revoked_at":"2030-01-02T00:00:00.000Z","last_used_at":null,"version":3}'),
    ).toBe(true);
  });

  it('reads a record written before versions existed as version 1', () => {
    const legacy = serializeApiKey(apiKey).replace(',"version":3}', '}');
    expect(deserializeApiKey(legacy)).toEqual({ ...apiKey, version: 1 });
  });
});
