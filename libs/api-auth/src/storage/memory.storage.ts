import { deepCopy } from '@gatekeeper/common';
import { assertStorableApiKey, versionOf } from '../api-key.validation';
import type { ApiKey } from '../models/api-key.model';
import type { ApiKeyStorage } from './api-key-storage.interface';
import {
  ApiKeyAlreadyExistsError,
  ApiKeyNotFoundError,
  ApiKeyVersionConflictError,
} from './storage.errors';

/**
 * Keeps keys in process memory. For development and tests: keys vanish on restart and are not
 * shared between instances.
 */
export class MemoryApiKeyStorage implements ApiKeyStorage {
  private readonly byId = new Map<string, ApiKey>();
  private readonly idByHash = new Map<string, string>();

  async getByHash(keyHash: string): Promise<ApiKey | null> {
    const id = this.idByHash.get(keyHash);
    return id === undefined ? null : this.getById(id);
  }

  async getById(id: string): Promise<ApiKey | null> {
    const stored = this.byId.get(id);
    return stored ? deepCopy(stored) : null;
  }

  async create(apiKey: ApiKey): Promise<ApiKey> {
    assertStorableApiKey(apiKey);
    if (this.byId.has(apiKey.id)) throw new ApiKeyAlreadyExistsError('id');
    if (this.idByHash.has(apiKey.keyHash)) throw new ApiKeyAlreadyExistsError('keyHash');
    const stored = { ...deepCopy(apiKey), version: apiKey.version ?? 1 };
    this.byId.set(stored.id, stored);
    this.idByHash.set(stored.keyHash, stored.id);
    return deepCopy(stored);
  }

  async update(apiKey: ApiKey): Promise<ApiKey> {
    const expected = versionOf(apiKey);
    const stored = this.byId.get(apiKey.id);
    if (!stored) throw new ApiKeyNotFoundError(apiKey.id);
    const version = stored.version ?? 1;
    if (expected !== undefined && expected !== version) {
      throw new ApiKeyVersionConflictError(apiKey.id, expected, version);
    }
    const given = deepCopy(apiKey);
    const merged: ApiKey = {
      ...stored,
      name: given.name,
      scopes: given.scopes,
      metadata: given.metadata,
      expiresAt: given.expiresAt,
      revokedAt: stored.revokedAt ?? given.revokedAt,
      lastUsedAt: later(stored.lastUsedAt, given.lastUsedAt),
      version: version + 1,
    };
    this.byId.set(merged.id, merged);
    return deepCopy(merged);
  }

  async touch(id: string, lastUsedAt: Date): Promise<void> {
    const stored = this.byId.get(id);
    if (stored) stored.lastUsedAt = later(stored.lastUsedAt, lastUsedAt);
  }

  async delete(id: string): Promise<boolean> {
    const stored = this.byId.get(id);
    if (!stored) return false;
    this.byId.delete(id);
    this.idByHash.delete(stored.keyHash);
    return true;
  }

  async *listByOwner(ownerId: string): AsyncIterable<ApiKey> {
    // Snapshot first so a caller deleting while iterating sees a stable list.
    const owned = [...this.byId.values()].filter((apiKey) => apiKey.ownerId === ownerId);
    for (const apiKey of owned) yield deepCopy(apiKey);
  }

  async healthCheck(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    // Nothing to release; keys stay readable so a late request during shutdown still resolves.
  }
}

function later(a: Date | null, b: Date | null): Date | null {
  if (!a) return b ? new Date(b) : null;
  if (!b) return a;
  return a.getTime() >= b.getTime() ? a : new Date(b);
}
