export { ApiAuthModule } from './api-auth.module';
export {
  API_AUTH_MODULE_OPTIONS,
  type ApiAuthModuleAsyncOptions,
  type ApiAuthModuleExtras,
  type ApiAuthModuleForRootOptions,
} from './api-auth.module-definition';
export type { ApiAuthBackend, ApiAuthModuleOptions, RedisCacheOptions } from './api-auth.options';
export {
  API_AUTH_CLOCK,
  API_KEY_REQUEST_PROPERTY,
  API_KEY_STORAGE,
  DEFAULT_API_AUTH_HEALTH_KEY,
  DEFAULT_API_AUTH_REDIS_PREFIX,
  DEFAULT_API_AUTH_TABLE_PREFIX,
  DEFAULT_API_KEY_HEADER,
  DEFAULT_API_KEY_PREFIX,
  DEFAULT_LAST_USED_INTERVAL_SECONDS,
} from './api-auth.constants';
export type { ApiAuthClock } from './api-auth.clock';
// Names from @gatekeeper/common are shared with @gatekeeper/feature-flags: the same classes and
// types, so the two packages can be imported side by side (`instanceof` works across copies).
export { GatekeeperConfigError, MissingDriverError } from '@gatekeeper/common';
export type { DatabaseConnectionOptions, RedisConnectionOptions } from '@gatekeeper/common';

export type { ApiKey } from './models/api-key.model';
export type { ApiKeyStorage } from './storage/api-key-storage.interface';
export { InjectApiKeyStorage } from './storage/api-key-storage.decorator';
export { MemoryApiKeyStorage } from './storage/memory.storage';
export {
  ApiKeyAlreadyExistsError,
  ApiKeyNotFoundError,
  ApiKeyReplicationError,
  ApiKeyStorageError,
  ApiKeyVersionConflictError,
} from './storage/storage.errors';

export {
  ApiKeyService,
  type CreateApiKeyInput,
  type CreatedApiKey,
  type RotateApiKeyOptions,
  type RotatedApiKey,
} from './api-key.service';
export {
  ApiKeyVerificationError,
  ExpiredApiKeyError,
  InvalidApiKeyError,
  InvalidApiKeyInputError,
  MalformedApiKeyError,
  RevokedApiKeyError,
  UnknownApiKeyError,
  type ApiKeyRejectionCode,
} from './api-key.errors';
export { API_KEY_REGEX, apiKeyRegex, generateApiKey, isWellFormedApiKey } from './api-key.format';
export { hashApiKey } from './api-key.hashing';
export { grantsAllScopes, grantsAnyScope, grantsScope } from './api-key.scopes';

export { ApiKeyGuard, type ApiKeyRequest, type ApiKeyRouteRequirements } from './api-key.guard';
export {
  CurrentApiKey,
  Public,
  PUBLIC_METADATA,
  REQUIRE_ANY_SCOPE_METADATA,
  REQUIRE_SCOPES_METADATA,
  RequireAnyScope,
  RequireScopes,
} from './api-auth.decorators';
export {
  ApiAuthUnavailableException,
  ApiKeyUnauthorizedException,
  AUTH_UNAVAILABLE_MESSAGE,
  EXPIRED_API_KEY_MESSAGE,
  INSUFFICIENT_SCOPE_MESSAGE,
  InsufficientScopeException,
  INVALID_API_KEY_MESSAGE,
  MISSING_API_KEY_MESSAGE,
  REVOKED_API_KEY_MESSAGE,
  type ApiAuthErrorBody,
  type ApiAuthErrorCode,
  type ApiKeyUnauthorizedCode,
} from './api-auth.exceptions';
export { ApiAuthHealthIndicator, type ApiAuthHealthCheckOptions } from './api-auth.health';

export type { SupportedDatabaseType } from '@gatekeeper/common';
export {
  DatabaseApiKeyStorage,
  type CreateDatabaseApiKeyStorageOptions,
  type DatabaseApiKeyStorageOptions,
} from './storage/database/database.storage';
export { apiKeyEntities, type ApiKeyEntities } from './storage/database/api-key.entities';
export {
  AddApiKeyVersion1796083200000,
  apiKeyMigrations,
  CreateApiKeysTable1767225600000,
} from './storage/database/api-keys.table';
export { RedisApiKeyStorage, type RedisApiKeyStorageOptions } from './storage/redis.storage';
export {
  RedisCacheApiKeyStorage,
  type RedisCacheApiKeyStorageOptions,
} from './storage/redis-cache.storage';
// In-process cache (the `localCache` option)
export {
  LocalCacheApiKeyStorage,
  type LocalCacheApiKeyStorageOptions,
} from './storage/local-cache.storage';
export {
  DEFAULT_LOCAL_CACHE_MAX_ENTRIES,
  type InvalidationBus,
  type LocalCacheOptions,
} from '@gatekeeper/common';
