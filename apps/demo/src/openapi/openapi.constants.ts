/** Name of the OpenAPI security scheme for the `x-api-key` header. */
export const API_KEY_SECURITY = 'api-key';
/** Name of the OpenAPI security scheme for `Authorization: Bearer <key>`: the same keys, either way. */
export const BEARER_SECURITY = 'bearer';
