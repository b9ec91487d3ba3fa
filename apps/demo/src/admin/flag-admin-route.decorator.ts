import { RequireAnyScope, RequireScopes } from '@gatekeeper/api-auth';
import { applyDecorators } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { Scopes } from '../gatekeeper/demo.constants';

/*
 * The flag admin routes (flags, segments, environments, schedules): the scope each needs, and what
 * its OpenAPI description says about it, in one place.
 */

const FLAGS_READ_NOTE = 'Scope `flags:read` (or `flags:write`).';
const FLAGS_WRITE_NOTE = 'Scope `flags:write`.';

/** A route any flag admin key may call (`flags:read` or `flags:write`). */
export const ReadsFlags = (summary: string, more?: string) =>
  applyDecorators(
    RequireAnyScope(Scopes.flagsRead, Scopes.flagsWrite),
    ApiOperation({ summary, description: describe(FLAGS_READ_NOTE, more) }),
  );

/** A route that changes flags (`flags:write`). */
export const WritesFlags = (summary: string, more?: string) =>
  applyDecorators(
    RequireScopes(Scopes.flagsWrite),
    ApiOperation({ summary, description: describe(FLAGS_WRITE_NOTE, more) }),
  );

function describe(note: string, more: string | undefined): string {
  return more === undefined ? note : `${note} ${more}`;
}
