import { RequireAnyScope, RequireScopes } from '@gatekeeper/api-auth';
import type { EnvironmentFlag } from '@gatekeeper/feature-flags';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Scopes } from '../../gatekeeper/demo.constants';
import { ApiKeyProtected } from '../../openapi/api-key-protected.decorator';
import { FLAGS_READ_NOTE, FLAGS_WRITE_NOTE } from '../scope-notes';
import { EnvironmentFlagDto } from './dto/environment-flag.dto';
import { EnvironmentFlagView } from './environment.view';
import { EnvironmentFlagsAdminService } from './environment-flags-admin.service';

@ApiTags('admin: environments')
@ApiKeyProtected()
@Controller('admin/environments/:slug/flags')
export class EnvironmentFlagsAdminController {
  constructor(private readonly settings: EnvironmentFlagsAdminService) {}

  @Get()
  @RequireAnyScope(Scopes.flagsRead, Scopes.flagsWrite)
  @ApiOperation({
    summary: 'The flags this environment sets something of',
    description: `${FLAGS_READ_NOTE} Flags not listed inherit everything.`,
  })
  @ApiOkResponse({ type: [EnvironmentFlagView] })
  @ApiNotFoundResponse({ description: 'No such environment' })
  list(@Param('slug') slug: string): Promise<EnvironmentFlag[]> {
    return this.settings.list(slug);
  }

  @Get(':flagKey')
  @RequireAnyScope(Scopes.flagsRead, Scopes.flagsWrite)
  @ApiOperation({ summary: 'A flag’s settings in this environment', description: FLAGS_READ_NOTE })
  @ApiOkResponse({ type: EnvironmentFlagView })
  @ApiNotFoundResponse({
    description: 'No such environment or flag, or no settings (inherits all)',
  })
  get(@Param('slug') slug: string, @Param('flagKey') flagKey: string): Promise<EnvironmentFlag> {
    return this.settings.get(slug, flagKey);
  }

  @Put(':flagKey')
  @RequireScopes(Scopes.flagsWrite)
  @ApiOperation({
    summary: 'Set a flag’s settings in this environment',
    description:
      `${FLAGS_WRITE_NOTE} Replaces them: a field left out or \`null\` is inherited from the ` +
      'parent environment, else from the flag. E.g. `{"enabled": false}` switches the flag off here.',
  })
  @ApiOkResponse({ type: EnvironmentFlagView })
  @ApiBadRequestResponse({ description: 'Invalid settings; nothing is stored' })
  @ApiNotFoundResponse({ description: 'No such environment or flag' })
  put(
    @Param('slug') slug: string,
    @Param('flagKey') flagKey: string,
    @Body() body: EnvironmentFlagDto,
  ): Promise<EnvironmentFlag> {
    return this.settings.put(slug, flagKey, body);
  }

  @Delete(':flagKey')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequireScopes(Scopes.flagsWrite)
  @ApiOperation({
    summary: 'Remove a flag’s settings from this environment',
    description: `${FLAGS_WRITE_NOTE} The flag then inherits everything here.`,
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such environment or flag, or no settings' })
  delete(@Param('slug') slug: string, @Param('flagKey') flagKey: string): Promise<void> {
    return this.settings.delete(slug, flagKey);
  }
}
