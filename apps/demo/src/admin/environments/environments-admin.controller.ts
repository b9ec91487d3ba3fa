import { RequireAnyScope, RequireScopes } from '@gatekeeper/api-auth';
import type { Environment } from '@gatekeeper/feature-flags';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Scopes } from '../../gatekeeper/demo.constants';
import { ApiKeyProtected } from '../../openapi/api-key-protected.decorator';
import { FLAGS_READ_NOTE, FLAGS_WRITE_NOTE } from '../scope-notes';
import { CreateEnvironmentDto } from './dto/create-environment.dto';
import { UpdateEnvironmentDto } from './dto/update-environment.dto';
import { EnvironmentView } from './environment.view';
import { EnvironmentsAdminService } from './environments-admin.service';

@ApiTags('admin: environments')
@ApiKeyProtected()
@Controller('admin/environments')
export class EnvironmentsAdminController {
  constructor(private readonly environments: EnvironmentsAdminService) {}

  @Get()
  @RequireAnyScope(Scopes.flagsRead, Scopes.flagsWrite)
  @ApiOperation({ summary: 'Every environment, by slug', description: FLAGS_READ_NOTE })
  @ApiOkResponse({ type: [EnvironmentView] })
  list(): Promise<Environment[]> {
    return this.environments.list();
  }

  @Post()
  @RequireScopes(Scopes.flagsWrite)
  @ApiOperation({
    summary: 'Create an environment',
    description:
      `${FLAGS_WRITE_NOTE} The demo evaluates flags in the environment GATEKEEPER_ENVIRONMENT ` +
      'names (default `production`).',
  })
  @ApiCreatedResponse({ type: EnvironmentView })
  @ApiBadRequestResponse({ description: 'Invalid environment; nothing is stored' })
  @ApiConflictResponse({ description: 'An environment with this slug exists' })
  @ApiUnprocessableEntityResponse({ description: 'No environment has the parent slug' })
  create(@Body() body: CreateEnvironmentDto): Promise<Environment> {
    return this.environments.create(body);
  }

  @Get(':slug')
  @RequireAnyScope(Scopes.flagsRead, Scopes.flagsWrite)
  @ApiOperation({ summary: 'One environment', description: FLAGS_READ_NOTE })
  @ApiOkResponse({ type: EnvironmentView })
  @ApiNotFoundResponse({ description: 'No such environment' })
  get(@Param('slug') slug: string): Promise<Environment> {
    return this.environments.get(slug);
  }

  @Patch(':slug')
  @RequireScopes(Scopes.flagsWrite)
  @ApiOperation({ summary: 'Change an environment', description: FLAGS_WRITE_NOTE })
  @ApiOkResponse({ type: EnvironmentView })
  @ApiBadRequestResponse({ description: 'Invalid change, or a parent below it; nothing is stored' })
  @ApiNotFoundResponse({ description: 'No such environment' })
  @ApiConflictResponse({ description: 'Another environment has the new slug' })
  @ApiUnprocessableEntityResponse({ description: 'No environment has the parent slug' })
  update(@Param('slug') slug: string, @Body() body: UpdateEnvironmentDto): Promise<Environment> {
    return this.environments.update(slug, body);
  }

  @Delete(':slug')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequireScopes(Scopes.flagsWrite)
  @ApiOperation({
    summary: 'Delete an environment and its flag settings',
    description: `${FLAGS_WRITE_NOTE} Environments below it inherit from nothing from now on.`,
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such environment' })
  delete(@Param('slug') slug: string): Promise<void> {
    return this.environments.delete(slug);
  }
}
