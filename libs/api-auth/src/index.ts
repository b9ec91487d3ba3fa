export { ApiAuthModule } from './api-auth.module';
export type {
  ApiAuthModuleAsyncOptions,
  ApiAuthModuleExtras,
  ApiAuthModuleForRootOptions,
} from './api-auth.module-definition';
export type {
  ApiAuthBackend,
  ApiAuthCacheOptions,
  ApiAuthModuleOptions,
  ResolvedApiAuthOptions,
} from './api-auth.options';
export {
  API_AUTH_CLOCK,
  API_AUTH_OPTIONS,
  API_KEY_REQUEST_PROPERTY,
  API_KEY_STORAGE,
  DEFAULT_API_KEY_HEADER,
  DEFAULT_KEY_PREFIX,
  DEFAULT_LAST_USED_INTERVAL_SECONDS,
  DEFAULT_REDIS_PREFIX,
  DEFAULT_TABLE_PREFIX,
} from './api-auth.constants';
export { systemClock, type ApiAuthClock } from './api-auth.clock';

export type { ApiKey } from './models/api-key.model';
export type { ApiKeyStorage } from './storage/api-key-storage.interface';
export { InjectApiKeyStorage } from './storage/api-key-storage.decorator';
export { MemoryApiKeyStorage } from './storage/memory.storage';
export {
  ApiKeyNotFoundError,
  ApiKeyStorageError,
  DuplicateApiKeyError,
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
  MalformedApiKeyError,
  RevokedApiKeyError,
  UnknownApiKeyError,
  type ApiKeyRejectionCode,
} from './api-key.errors';
export {
  API_KEY_CHECKSUM_LENGTH,
  API_KEY_MAX_RANDOM_LENGTH,
  API_KEY_RANDOM_LENGTH,
  API_KEY_REGEX,
  BASE62_ALPHABET,
  apiKeyChecksum,
  apiKeyRegex,
  generateApiKey,
  isWellFormedApiKey,
  parseApiKey,
  type ParsedApiKey,
} from './api-key.format';
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

export {
  DatabaseApiKeyStorage,
  type CreateDatabaseApiKeyStorageOptions,
  type DatabaseApiKeyStorageOptions,
} from './storage/database/database.storage';
export {
  apiKeyMigrations,
  CreateApiKeysTable1767225600000,
} from './storage/database/api-keys.table';
export { RedisApiKeyStorage, type RedisApiKeyStorageOptions } from './storage/redis.storage';
export {
  RedisCacheApiKeyStorage,
  type RedisCacheApiKeyStorageOptions,
} from './storage/redis-cache.storage';
export {
  DEFAULT_VERIFY_CACHE_MAX_ENTRIES,
  VerifyCacheApiKeyStorage,
  type ApiKeyVerifyCacheOptions,
  type VerifyCacheApiKeyStorageOptions,
} from './storage/verify-cache.storage';
