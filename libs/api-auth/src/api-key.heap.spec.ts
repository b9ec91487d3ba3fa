import { getHeapSnapshot } from 'node:v8';
import { Logger } from '@nestjs/common';
import type { ApiAuthModuleOptions } from './api-auth.options';
import { ApiKeyService } from './api-key.service';
import { MemoryApiKeyStorage } from './storage/memory.storage';
import { LocalCacheApiKeyStorage } from './storage/local-cache.storage';

/**
 * Which of `needles` occur in a heap snapshot's text. Needles are Buffers, whose bytes are not part
 * of the snapshot, so looking for a string does not keep that string alive.
 */
async function inHeap(needles: Buffer[]): Promise<boolean[]> {
  const found = needles.map(() => false);
  const overlap = Math.max(...needles.map((needle) => needle.length));
  let previous = Buffer.alloc(0);
  for await (const chunk of getHeapSnapshot()) {
    const window = Buffer.concat([previous, chunk as Buffer]);
    needles.forEach((needle, i) => (found[i] ||= window.includes(needle)));
    previous = window.subarray(-overlap);
  }
  return found;
}

describe('API keys in process memory', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('are not kept once created and verified: the records hold hashes and a display prefix', async () => {
    const options: ApiAuthModuleOptions = { keyPrefix: 'acme_live_' }; // display prefix: 16 chars
    const storage = new LocalCacheApiKeyStorage(new MemoryApiKeyStorage(), { ttl: 60 });
    const service = new ApiKeyService(storage, options, { now: () => new Date() });

    const { prefix, rest } = await (async () => {
      const { key, apiKey } = await service.create({ name: 'ci', ownerId: 'acme', scopes: [] });
      await service.verify(key); // now in the memory storage and the local cache
      await expect(service.verify(key)).resolves.toMatchObject({ id: apiKey.id }); // a cache hit
      return { prefix: Buffer.from(apiKey.prefix), rest: Buffer.from(key.slice(16)) };
    })();
    await service.beforeApplicationShutdown();

    const [prefixFound, restFound] = await inHeap([prefix, rest]);
    expect(prefixFound).toBe(true); // the search works: the display prefix is alive
    expect(restFound).toBe(false); // the rest of the key is nowhere
    await storage.close();
  });
});
