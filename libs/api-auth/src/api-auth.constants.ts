/** Injection token of the bound `ApiKeyStorage`. Prefer `@InjectApiKeyStorage()`. */
export const API_KEY_STORAGE = 'API_KEY_STORAGE';

/** Injection token of the `ApiAuthClock` the service reads time from; override it in tests. */
export const API_AUTH_CLOCK = 'API_AUTH_CLOCK';

/** Internal: the storage plus how to release what the module created for it. */
export const API_KEY_STORAGE_HANDLE = 'API_KEY_STORAGE_HANDLE';

/** The `keyPrefix` default: keys read `sk_…`. */
export const DEFAULT_API_KEY_PREFIX = 'sk_';
/** The `header` default. */
export const DEFAULT_API_KEY_HEADER = 'x-api-key';
/** The `redisPrefix` default. */
export const DEFAULT_API_AUTH_REDIS_PREFIX = 'api_key:';
/** The `tablePrefix` default: mirrors litestar-api-auth, whose table is `api_keys`. */
export const DEFAULT_API_AUTH_TABLE_PREFIX = '';
/** The key `ApiAuthHealthIndicator.isHealthy()` reports under by default. */
export const DEFAULT_API_AUTH_HEALTH_KEY = 'api_auth';
/** The `lastUsedInterval` default, in seconds. */
export const DEFAULT_LAST_USED_INTERVAL_SECONDS = 60;

/** The request property the guard stores the authenticated `ApiKey` in (`request.apiKey`). */
export const API_KEY_REQUEST_PROPERTY = 'apiKey';
