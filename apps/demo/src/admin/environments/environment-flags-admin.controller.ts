import type { EnvironmentFlag } from '@gatekeeper/feature-flags';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyProtected } from '../../openapi/api-key-protected.decorator';
import { ReadsFlags, WritesFlags } from '../flag-admin-route.decorator';
import { EnvironmentFlagDto } from './dto/environment-flag.dto';
import { EnvironmentFlagView } from './environment.view';
import { EnvironmentFlagsAdminService } from './environment-flags-admin.service';

@ApiTags('admin: environments')
@ApiKeyProtected()
@Controller('admin/environments/:slug/flags')
export class EnvironmentFlagsAdminController {
  constructor(private readonly settings: EnvironmentFlagsAdminService) {}

  @Get()
  @ReadsFlags(
    'The flags this environment sets something of',
    `Flags not listed inherit everything.`,
  )
  @ApiOkResponse({ type: [EnvironmentFlagView] })
  @ApiNotFoundResponse({ description: 'No such environment' })
  list(@Param('slug') slug: string): Promise<EnvironmentFlag[]> {
    return this.settings.list(slug);
  }

  @Get(':flagKey')
  @ReadsFlags('A flag’s settings in this environment')
  @ApiOkResponse({ type: EnvironmentFlagView })
  @ApiNotFoundResponse({
    description: 'No such environment or flag, or no settings (inherits all)',
  })
  get(@Param('slug') slug: string, @Param('flagKey') flagKey: string): Promise<EnvironmentFlag> {
    return this.settings.get(slug, flagKey);
  }

  @Put(':flagKey')
  @WritesFlags(
    'Set a flag’s settings in this environment',
    `Replaces them: a field left out or \`null\` is inherited from the ` +
      'parent environment, else from the flag. E.g. `{"enabled": false}` switches the flag off here.',
  )
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
  @WritesFlags(
    'Remove a flag’s settings from this environment',
    `The flag then inherits everything here.`,
  )
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such environment or flag, or no settings' })
  delete(@Param('slug') slug: string, @Param('flagKey') flagKey: string): Promise<void> {
    return this.settings.delete(slug, flagKey);
  }
}
