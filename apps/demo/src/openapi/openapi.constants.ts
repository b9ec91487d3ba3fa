/** Name of the OpenAPI security scheme for the `x-api-key` header. */
export const API_KEY_SECURITY = 'api-key';
