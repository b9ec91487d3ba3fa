/** Injection token of the bound `ApiKeyStorage`. Prefer `@InjectApiKeyStorage()`. */
export const API_KEY_STORAGE = 'API_KEY_STORAGE';

/** Injection token of the `ApiAuthClock` the service reads time from; override it in tests. */
export const API_AUTH_CLOCK = 'API_AUTH_CLOCK';

/** Injection token of the validated options with defaults applied (`ResolvedApiAuthOptions`). */
export const API_AUTH_OPTIONS = 'API_AUTH_OPTIONS';

/** Internal: the storage plus how to release what the module created for it. */
export const API_KEY_STORAGE_HANDLE = 'API_KEY_STORAGE_HANDLE';

/** Internal: Terminus' HealthIndicatorService, provided only when @nestjs/terminus is installed. */
export const HEALTH_INDICATOR_SERVICE = 'API_AUTH_HEALTH_INDICATOR_SERVICE';

export const DEFAULT_KEY_PREFIX = 'sk_';
export const DEFAULT_API_KEY_HEADER = 'x-api-key';
export const DEFAULT_REDIS_PREFIX = 'api_key:';
/** Mirrors litestar-api-auth, whose table is `api_keys`. */
export const DEFAULT_TABLE_PREFIX = '';
export const DEFAULT_LAST_USED_INTERVAL_SECONDS = 60;

/** The request property the guard stores the authenticated `ApiKey` in (`request.apiKey`). */
export const API_KEY_REQUEST_PROPERTY = 'apiKey';
