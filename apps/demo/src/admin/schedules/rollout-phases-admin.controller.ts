import type { RolloutPhase } from '@gatekeeper/feature-flags';
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
import { CreateRolloutPhaseDto } from './dto/create-rollout-phase.dto';
import { RolloutPhasesAdminService } from './rollout-phases-admin.service';
import { RolloutPhaseView } from './schedule.view';

@ApiTags('admin: schedules')
@ApiKeyProtected()
@Controller('admin/flags/:key/rollout-phases')
export class RolloutPhasesAdminController {
  constructor(private readonly phases: RolloutPhasesAdminService) {}

  @Get()
  @ReadsFlags('A flag’s rollout phases, pending and applied', `By phaseNumber.`)
  @ApiOkResponse({ type: [RolloutPhaseView] })
  @ApiNotFoundResponse({ description: 'No such flag' })
  list(@Param('key') key: string): Promise<RolloutPhase[]> {
    return this.phases.list(key);
  }

  @Post()
  @WritesFlags(
    'Add a phase to a flag’s rollout',
    `When due, the flag’s rollout rules go to targetPercentage, once. ` +
      'E.g. phases 1, 2, 3 at 10, 50 and 100 %, a day apart.',
  )
  @ApiCreatedResponse({ type: RolloutPhaseView })
  @ApiBadRequestResponse({ description: 'Invalid phase; nothing is stored' })
  @ApiNotFoundResponse({ description: 'No such flag' })
  @ApiConflictResponse({ description: 'The flag has a phase with this number' })
  create(@Param('key') key: string, @Body() body: CreateRolloutPhaseDto): Promise<RolloutPhase> {
    return this.phases.create(key, body);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @WritesFlags('Cancel a pending phase')
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such flag, or no such phase of it' })
  @ApiConflictResponse({ description: 'The phase was applied already' })
  cancel(@Param('key') key: string, @Param('id') id: string): Promise<void> {
    return this.phases.cancel(key, id);
  }
}
