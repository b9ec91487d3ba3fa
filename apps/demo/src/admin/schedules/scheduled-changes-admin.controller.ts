import { CurrentApiKey } from '@gatekeeper/api-auth';
import type { ScheduledFlagChange } from '@gatekeeper/feature-flags';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyProtected } from '../../openapi/api-key-protected.decorator';
import { ReadsFlags, WritesFlags } from '../flag-admin-route.decorator';
import { CreateScheduledChangeDto } from './dto/create-scheduled-change.dto';
import { ScheduledChangeView } from './schedule.view';
import { ScheduledChangesAdminService } from './scheduled-changes-admin.service';

@ApiTags('admin: schedules')
@ApiKeyProtected()
@Controller('admin/flags/:key/scheduled-changes')
export class ScheduledChangesAdminController {
  constructor(private readonly changes: ScheduledChangesAdminService) {}

  @Get()
  @ReadsFlags('A flag’s scheduled changes, pending and applied', `By scheduledAt.`)
  @ApiOkResponse({ type: [ScheduledChangeView] })
  @ApiNotFoundResponse({ description: 'No such flag' })
  list(@Param('key') key: string): Promise<ScheduledFlagChange[]> {
    return this.changes.list(key);
  }

  @Post()
  @WritesFlags(
    'Schedule a change of a flag',
    `Applied once, when due, by the scheduler (every ` +
      'GATEKEEPER_SCHEDULER_INTERVAL seconds), whichever instance gets there first. ' +
      'E.g. `{"changeType": "enable", "inSeconds": 60}`.',
  )
  @ApiCreatedResponse({ type: ScheduledChangeView })
  @ApiBadRequestResponse({ description: 'Invalid change; nothing is stored' })
  @ApiNotFoundResponse({ description: 'No such flag' })
  create(
    @Param('key') key: string,
    @Body() body: CreateScheduledChangeDto,
    @CurrentApiKey('ownerId') ownerId: string,
  ): Promise<ScheduledFlagChange> {
    return this.changes.create(key, body, ownerId);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @WritesFlags('Cancel a pending change')
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such flag, or no such change of it' })
  @ApiConflictResponse({ description: 'The change was applied already' })
  cancel(@Param('key') key: string, @Param('id') id: string): Promise<void> {
    return this.changes.cancel(key, id);
  }
}
