import { RequireAnyScope, RequireScopes } from '@gatekeeper/api-auth';
import type { TimeSchedule } from '@gatekeeper/feature-flags';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Scopes } from '../../gatekeeper/demo.constants';
import { ApiKeyProtected } from '../../openapi/api-key-protected.decorator';
import { FLAGS_READ_NOTE, FLAGS_WRITE_NOTE } from '../scope-notes';
import { CreateTimeScheduleDto } from './dto/create-time-schedule.dto';
import { TimeScheduleView } from './schedule.view';
import { TimeSchedulesAdminService } from './time-schedules-admin.service';

@ApiTags('admin: schedules')
@ApiKeyProtected()
@Controller('admin/flags/:key/time-schedules')
export class TimeSchedulesAdminController {
  constructor(private readonly schedules: TimeSchedulesAdminService) {}

  @Get()
  @RequireAnyScope(Scopes.flagsRead, Scopes.flagsWrite)
  @ApiOperation({ summary: 'A flag’s time schedules', description: FLAGS_READ_NOTE })
  @ApiOkResponse({ type: [TimeScheduleView] })
  @ApiNotFoundResponse({ description: 'No such flag' })
  list(@Param('key') key: string): Promise<TimeSchedule[]> {
    return this.schedules.list(key);
  }

  @Post()
  @RequireScopes(Scopes.flagsWrite)
  @ApiOperation({
    summary: 'Add a time window to a flag',
    description:
      `${FLAGS_WRITE_NOTE} A flag with enabled schedules is on only inside one of their ` +
      'windows; outside, it serves its off value (reason DISABLED). See ' +
      'docs/feature-flags/time-schedules.md.',
  })
  @ApiCreatedResponse({ type: TimeScheduleView })
  @ApiBadRequestResponse({ description: 'Invalid schedule; nothing is stored' })
  @ApiNotFoundResponse({ description: 'No such flag' })
  create(@Param('key') key: string, @Body() body: CreateTimeScheduleDto): Promise<TimeSchedule> {
    return this.schedules.create(key, body);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequireScopes(Scopes.flagsWrite)
  @ApiOperation({ summary: 'Remove a time schedule', description: FLAGS_WRITE_NOTE })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such flag, or no such schedule of it' })
  delete(@Param('key') key: string, @Param('id') id: string): Promise<void> {
    return this.schedules.delete(key, id);
  }
}
