import type { TimeSchedule } from '@gatekeeper/feature-flags';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyProtected } from '../../openapi/api-key-protected.decorator';
import { ReadsFlags, WritesFlags } from '../flag-admin-route.decorator';
import { CreateTimeScheduleDto } from './dto/create-time-schedule.dto';
import { TimeScheduleView } from './schedule.view';
import { TimeSchedulesAdminService } from './time-schedules-admin.service';

@ApiTags('admin: schedules')
@ApiKeyProtected()
@Controller('admin/flags/:key/time-schedules')
export class TimeSchedulesAdminController {
  constructor(private readonly schedules: TimeSchedulesAdminService) {}

  @Get()
  @ReadsFlags('A flag’s time schedules')
  @ApiOkResponse({ type: [TimeScheduleView] })
  @ApiNotFoundResponse({ description: 'No such flag' })
  list(@Param('key') key: string): Promise<TimeSchedule[]> {
    return this.schedules.list(key);
  }

  @Post()
  @WritesFlags(
    'Add a time window to a flag',
    `A flag with enabled schedules is on only inside one of their ` +
      'windows; outside, it serves its off value (reason DISABLED). See ' +
      'docs/feature-flags/time-schedules.md.',
  )
  @ApiCreatedResponse({ type: TimeScheduleView })
  @ApiBadRequestResponse({ description: 'Invalid schedule; nothing is stored' })
  @ApiNotFoundResponse({ description: 'No such flag' })
  create(@Param('key') key: string, @Body() body: CreateTimeScheduleDto): Promise<TimeSchedule> {
    return this.schedules.create(key, body);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @WritesFlags('Remove a time schedule')
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such flag, or no such schedule of it' })
  delete(@Param('key') key: string, @Param('id') id: string): Promise<void> {
    return this.schedules.delete(key, id);
  }
}
