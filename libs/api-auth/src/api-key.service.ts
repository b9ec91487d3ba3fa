import { performance } from 'node:perf_hooks';
import {
  deepCopy,
  isPromiseLike,
  newId,
  storedDateProblem,
  type MaybePromise,
} from '@gatekeeper/common';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { ApiAuthClock } from './api-auth.clock';
import { API_AUTH_CLOCK } from './api-auth.constants';
import { API_AUTH_MODULE_OPTIONS } from './api-auth.module-definition';
import {
  resolveApiAuthOptions,
  type ApiAuthModuleOptions,
  type ResolvedApiAuthOptions,
} from './api-auth.options';
import {
  ExpiredApiKeyError,
  InvalidApiKeyInputError,
  MalformedApiKeyError,
  RevokedApiKeyError,
  UnknownApiKeyError,
} from './api-key.errors';
import {
  API_KEY_CHECKSUM_LENGTH,
  API_KEY_MAX_RANDOM_LENGTH,
  displayPrefix,
  generateApiKey,
  isWellFormedApiKey,
} from './api-key.format';
import { hashApiKey } from './api-key.hashing';
import { LookupStandIn } from './api-key.stand-in';
import { assertValidScope } from './api-key.scopes';
import {
  API_KEY_LIMITS,
  assertStorableMetadata,
  assertStorableScopes,
  assertStorableText,
} from './api-key.validation';
import { ApiKeyUsageRecorder } from './api-key.usage';
import { timeOf, type ApiKey } from './models/api-key.model';
import type { ApiKeyStorage } from './storage/api-key-storage.interface';
import { InjectApiKeyStorage } from './storage/api-key-storage.decorator';
import { apiKeySourceOf, type ApiKeySource } from './storage/api-key.source';
import { ApiKeyNotFoundError, ApiKeyVersionConflictError } from './storage/storage.errors';

export interface CreateApiKeyInput {
  name: string;
  ownerId: string;
  scopes: string[];
  /** Omit or `null` for a key that never expires. Must lie in the future. */
  expiresAt?: Date | null;
  metadata?: Record<string, unknown>;
}

export interface CreatedApiKey {
  /** The plaintext key. Show it to its owner once: it is not stored and cannot be recovered. */
  key: string;
  apiKey: ApiKey;
}

export interface RotateApiKeyOptions {
  /** How long the old key keeps working, in seconds. `0` (default) stops it at once. */
  gracePeriodSeconds?: number;
}

export interface RotatedApiKey extends CreatedApiKey {
  /** The old key, now expiring at the end of the grace period. */
  previous: ApiKey;
}

/** Read-change-write attempts of `revoke()` and `rotate()` when the key changes concurrently. */
const CONFLICT_ATTEMPTS = 5;

/**
 * Internal, for `ApiKeyGuard` (the package does not export it): `verify()` without a promise when
 * the storage answers without one (a fresh `localCache` hit). A malformed key is refused with a
 * promise too, after the stand-in's wait (see `LookupStandIn`).
 */
export const verifyApiKeyNow = Symbol('ApiKeyService.verifyNow');

/**
 * Issues, verifies and retires API keys. The plaintext key exists only in the value `create()` and
 * `rotate()` return: it is never stored and never logged.
 */
@Injectable()
export class ApiKeyService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ApiKeyService.name);
  private readonly usage: ApiKeyUsageRecorder;
  /** Where verification reads keys: chosen once, by what the storage declares. */
  private readonly source: ApiKeySource;
  private readonly maxKeyLength: number;
  /** What a malformed key waits for instead of a lookup: see `LookupStandIn`. */
  private readonly standIn = new LookupStandIn();
  private readonly options: ResolvedApiAuthOptions;

  constructor(
    @InjectApiKeyStorage() private readonly storage: ApiKeyStorage,
    @Inject(API_AUTH_MODULE_OPTIONS) options: ApiAuthModuleOptions,
    @Inject(API_AUTH_CLOCK) private readonly clock: ApiAuthClock,
  ) {
    this.options = resolveApiAuthOptions(options);
    this.usage = new ApiKeyUsageRecorder(storage, this.options.lastUsedIntervalMs, this.logger);
    this.source = apiKeySourceOf(storage);
    this.maxKeyLength =
      this.options.keyPrefix.length + API_KEY_MAX_RANDOM_LENGTH + API_KEY_CHECKSUM_LENGTH;
  }

  async create(input: CreateApiKeyInput): Promise<CreatedApiKey> {
    const now = this.clock.now();
    const apiKey = this.buildApiKey(input, now);
    const key = generateApiKey(this.options.keyPrefix);
    apiKey.prefix = displayPrefix(key, this.options.keyPrefix);
    apiKey.keyHash = hashApiKey(key, this.options.pepper);
    const stored = await this.storage.create(apiKey);
    this.logger.log(`Created API key ${stored.id} (${stored.prefix}…) for owner ${stored.ownerId}`);
    return { key, apiKey: stored };
  }

  /**
   * The stored key for `rawKey`, or a typed `ApiKeyVerificationError`. One pipeline, shared with
   * `ApiKeyGuard`: format check and hash (once), one lookup, then revocation and expiry. Storage
   * failures propagate as they are (the guard answers 503).
   */
  async verify(rawKey: string): Promise<ApiKey> {
    return this[verifyApiKeyNow](rawKey);
  }

  /**
   * `verify()` for `ApiKeyGuard`: synchronous when the storage's answer is. A malformed key is
   * never looked up; it is refused after the stand-in's wait, which imitates a lookup.
   */
  [verifyApiKeyNow](rawKey: string): MaybePromise<ApiKey> {
    const keyHash = this.hashOf(rawKey);
    if (keyHash === undefined) return this.standIn.wait().then(refuseMalformed);
    const started = performance.now();
    const found = this.source.byHash(keyHash);
    if (!isPromiseLike(found)) return this.accept(found);
    return Promise.resolve(found).then((apiKey) => {
      this.standIn.record(performance.now() - started, apiKey !== null);
      return this.accept(apiKey);
    });
  }

  /**
   * Revokes the key for good; revoking a revoked key changes nothing. The update is based on the
   * version read, so it never undoes a concurrent change to the key's name, scopes or metadata:
   * on a conflict the key is read again. A revocation must not fail for being concurrent, so
   * after `CONFLICT_ATTEMPTS` conflicts the last attempt writes whatever the version (the fields
   * it may then overwrite no longer grant anything).
   */
  async revoke(id: string): Promise<ApiKey> {
    for (let attempt = 1; ; attempt++) {
      const apiKey = await this.getExisting(id);
      if (apiKey.revokedAt) return apiKey;
      const version = attempt < CONFLICT_ATTEMPTS ? apiKey.version : undefined;
      try {
        const revoked = await this.storage.update({
          ...apiKey,
          version,
          revokedAt: this.clock.now(),
        });
        this.logger.log(`Revoked API key ${id}`);
        return revoked;
      } catch (error) {
        if (!(error instanceof ApiKeyVersionConflictError)) throw error;
      }
    }
  }

  /**
   * Issues a replacement with the same name, owner, scopes, metadata and expiry. The old key keeps
   * working for `gracePeriodSeconds` (never past its own expiry), then is refused as expired.
   * Should the old key change meanwhile, the attempt is undone and retried on the changed key;
   * after `CONFLICT_ATTEMPTS` attempts, `ApiKeyVersionConflictError` with nothing left behind.
   */
  async rotate(id: string, options: RotateApiKeyOptions = {}): Promise<RotatedApiKey> {
    const gracePeriodSeconds = options.gracePeriodSeconds ?? 0;
    if (
      typeof gracePeriodSeconds !== 'number' ||
      !Number.isFinite(gracePeriodSeconds) ||
      gracePeriodSeconds < 0
    ) {
      throw new InvalidApiKeyInputError(
        'gracePeriodSeconds',
        'must be a number of seconds, 0 or more',
      );
    }
    for (let attempt = 1; ; attempt++) {
      const rotated = await this.rotateOnce(id, gracePeriodSeconds);
      if (!(rotated instanceof ApiKeyVersionConflictError)) return rotated;
      if (attempt === CONFLICT_ATTEMPTS) throw rotated;
    }
  }

  /**
   * One attempt of `rotate()`, or the conflict when the old key changed between its read and its
   * update. Then the new key is deleted again, so a failed attempt leaves nothing behind and the
   * next one copies the changed key.
   */
  private async rotateOnce(
    id: string,
    gracePeriodSeconds: number,
  ): Promise<RotatedApiKey | ApiKeyVersionConflictError> {
    const old = await this.getExisting(id);
    const now = this.clock.now();
    if (old.revokedAt) throw new RevokedApiKeyError(old.id);
    if (isExpired(old, now)) throw new ExpiredApiKeyError(old.id);
    const graceEnd = new Date(now.getTime() + gracePeriodSeconds * 1000);
    if (Number.isNaN(graceEnd.getTime())) {
      throw new InvalidApiKeyInputError('gracePeriodSeconds', 'ends past the largest date');
    }

    // Create first: if anything fails afterwards the old key still works and nobody is locked out.
    const created = await this.create({
      name: old.name,
      ownerId: old.ownerId,
      scopes: old.scopes,
      metadata: old.metadata,
      expiresAt: old.expiresAt,
    });
    const expiresAt =
      old.expiresAt && timeOf(old.expiresAt) < graceEnd.getTime() ? old.expiresAt : graceEnd;
    let previous: ApiKey;
    try {
      previous = await this.storage.update({ ...old, expiresAt });
    } catch (error) {
      await this.storage.delete(created.apiKey.id).catch(() => false);
      if (error instanceof ApiKeyVersionConflictError) return error;
      throw error;
    }
    this.logger.log(
      `Rotated API key ${id} to ${created.apiKey.id}; the old key stops working at ${expiresAt.toISOString()}`,
    );
    return { ...created, previous };
  }

  /** Every key of `ownerId`, including expired and revoked ones. */
  listByOwner(ownerId: string): AsyncIterable<ApiKey> {
    return this.storage.listByOwner(ownerId);
  }

  /** Removes the key record. Prefer `revoke()` to keep an audit trail. `true` if it existed. */
  async delete(id: string): Promise<boolean> {
    const deleted = await this.storage.delete(id);
    if (deleted) {
      this.usage.forget(id);
      this.logger.log(`Deleted API key ${id}`);
    }
    return deleted;
  }

  /** Lets in-flight `lastUsedAt` writes finish before the module closes the storage. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.usage.settle();
  }

  /** @throws InvalidApiKeyInputError before anything is generated or stored. */
  private buildApiKey(input: CreateApiKeyInput, now: Date): ApiKey {
    const { name, ownerId, scopes, expiresAt = null, metadata = {} } = input ?? {};
    assertLabel('name', name, API_KEY_LIMITS.name);
    assertLabel('ownerId', ownerId, API_KEY_LIMITS.ownerId);
    if (!Array.isArray(scopes)) {
      throw new InvalidApiKeyInputError('scopes', 'must be an array of strings');
    }
    scopes.forEach(assertValidScope);
    assertStorableScopes(scopes);
    if (expiresAt !== null) {
      const problem = storedDateProblem(expiresAt);
      if (problem) throw new InvalidApiKeyInputError('expiresAt', `${problem} or null`);
      if (expiresAt.getTime() <= now.getTime()) {
        throw new InvalidApiKeyInputError('expiresAt', 'must be in the future');
      }
    }
    assertStorableMetadata(metadata);
    return {
      id: newId(),
      name,
      ownerId,
      prefix: '',
      keyHash: '',
      scopes: [...new Set(scopes)],
      // Validated JSON: a plain copy suffices (structuredClone's objects come from Node's own
      // realm, which under Jest or `vm` is not the caller's).
      metadata: deepCopy(metadata),
      createdAt: now,
      expiresAt: expiresAt && new Date(expiresAt),
      revokedAt: null,
      lastUsedAt: null,
    };
  }

  /**
   * The lookup hash of a well-formed key, `undefined` for a malformed one. Hashed before the format
   * verdict, so that a malformed key costs what an unknown one does up to the lookup; the length
   * bound keeps a huge header from costing a long hash.
   */
  private hashOf(rawKey: string): string | undefined {
    if (typeof rawKey !== 'string' || rawKey.length > this.maxKeyLength) return undefined;
    const keyHash = hashApiKey(rawKey, this.options.pepper);
    return isWellFormedApiKey(rawKey, this.options.keyPrefix) ? keyHash : undefined;
  }

  /** The found key if it may be used now (recording the use), else why not. */
  private readonly accept = (apiKey: ApiKey | null): ApiKey => {
    if (!apiKey) throw new UnknownApiKeyError();
    const now = this.clock.now();
    if (apiKey.revokedAt) throw new RevokedApiKeyError(apiKey.id);
    if (isExpired(apiKey, now)) throw new ExpiredApiKeyError(apiKey.id);
    this.usage.record(apiKey, now);
    return apiKey;
  };

  private async getExisting(id: string): Promise<ApiKey> {
    const apiKey = await this.storage.getById(id);
    if (!apiKey) throw new ApiKeyNotFoundError(id);
    return apiKey;
  }
}

/** A non-empty, storable, one-line string. */
function assertLabel(field: string, value: unknown, maxLength: number): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidApiKeyInputError(field, 'must be a non-empty string');
  }
  assertStorableText(field, value, maxLength);
}

function refuseMalformed(): never {
  throw new MalformedApiKeyError();
}

function isExpired(apiKey: ApiKey, now: Date): boolean {
  return apiKey.expiresAt !== null && timeOf(apiKey.expiresAt) <= now.getTime();
}
