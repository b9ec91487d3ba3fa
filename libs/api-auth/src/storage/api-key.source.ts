import { DeclaredSources, type MaybePromise } from '@gatekeeper/common';
import type { ApiKey } from '../models/api-key.model';
import type { ApiKeyStorage } from './api-key-storage.interface';

/**
 * Internal: where verification looks a key hash up. `byHash` answers without a promise when it
 * can without I/O (a fresh hit of the in-process cache) and with one otherwise; any thenable it
 * returns is awaited.
 */
export interface ApiKeySource {
  byHash(keyHash: string): MaybePromise<ApiKey | null>;
}

/** Sources declared by this package's storages (the local cache, in its constructor). */
export const declaredApiKeySources = new DeclaredSources<ApiKeyStorage, ApiKeySource>([
  'getByHash',
]);

/** The declared source of `storage`, else its `getByHash`. Chosen once, by `ApiKeyService`. */
export function apiKeySourceOf(storage: ApiKeyStorage): ApiKeySource {
  return declaredApiKeySources.of(storage) ?? { byHash: (keyHash) => storage.getByHash(keyHash) };
}
