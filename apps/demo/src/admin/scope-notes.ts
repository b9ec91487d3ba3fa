/* What the OpenAPI descriptions of the flag admin routes (flags, segments, environments, schedules) say about scopes. */

export const FLAGS_READ_NOTE = 'Scope `flags:read` (or `flags:write`).';
export const FLAGS_WRITE_NOTE = 'Scope `flags:write`.';
