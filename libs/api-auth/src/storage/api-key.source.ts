import type { MaybePromise } from '@gatekeeper/common';
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

/**
 * Sources declared by this package's storages, by identity: a wrapper around one of them (a
 * `Proxy`, say) is another object and is read through its own `getByHash`, like any storage.
 */
const declaredSources = new WeakMap<ApiKeyStorage, ApiKeySource>();

/** Declares how `storage` answers lookups; called by a storage on itself, at construction. */
export function declareApiKeySource(storage: ApiKeyStorage, source: ApiKeySource): void {
  declaredSources.set(storage, source);
}

/** The declared source of `storage`, else its `getByHash`. Chosen once, by `ApiKeyService`. */
export function apiKeySourceOf(storage: ApiKeyStorage): ApiKeySource {
  return declaredSources.get(storage) ?? { byHash: (keyHash) => storage.getByHash(keyHash) };
}
