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
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ApiKeyProtected } from '../../openapi/api-key-protected.decorator';
import { ReadsFlags, WritesFlags } from '../flag-admin-route.decorator';
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
  @ReadsFlags('Every environment, by slug')
  @ApiOkResponse({ type: [EnvironmentView] })
  list(): Promise<Environment[]> {
    return this.environments.list();
  }

  @Post()
  @WritesFlags(
    'Create an environment',
    `The demo evaluates flags in the environment GATEKEEPER_ENVIRONMENT ` +
      'names (default `production`).',
  )
  @ApiCreatedResponse({ type: EnvironmentView })
  @ApiBadRequestResponse({ description: 'Invalid environment; nothing is stored' })
  @ApiConflictResponse({ description: 'An environment with this slug exists' })
  @ApiUnprocessableEntityResponse({ description: 'No environment has the parent slug' })
  create(@Body() body: CreateEnvironmentDto): Promise<Environment> {
    return this.environments.create(body);
  }

  @Get(':slug')
  @ReadsFlags('One environment')
  @ApiOkResponse({ type: EnvironmentView })
  @ApiNotFoundResponse({ description: 'No such environment' })
  get(@Param('slug') slug: string): Promise<Environment> {
    return this.environments.get(slug);
  }

  @Patch(':slug')
  @WritesFlags('Change an environment')
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
  @WritesFlags(
    'Delete an environment and its flag settings',
    `Environments below it inherit from nothing from now on.`,
  )
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such environment' })
  delete(@Param('slug') slug: string): Promise<void> {
    return this.environments.delete(slug);
  }
}
