import {
  SCHEDULED_CHANGE_TYPES,
  type JsonValue,
  type ScheduledChangeType,
} from '@gatekeeper/feature-flags';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsNumber, Max, Min, ValidateIf } from 'class-validator';
import { ScheduleTimeDto } from './schedule-time.dto';

export class CreateScheduledChangeDto extends ScheduleTimeDto {
  @ApiProperty({
    enum: SCHEDULED_CHANGE_TYPES,
    description:
      '`enable` / `disable`: status and default on / off; `update_value`: the default value ' +
      'becomes newValue; `update_rollout`: the rollout rules go to newRolloutPercentage',
    example: 'update_rollout',
  })
  @IsIn(SCHEDULED_CHANGE_TYPES)
  changeType!: ScheduledChangeType;

  @ApiPropertyOptional({ description: 'update_value only: the new default value' })
  @ValidateIf((dto: CreateScheduledChangeDto) => dto.changeType === 'update_value')
  @IsDefined({ message: 'newValue is required for an update_value change' })
  newValue?: JsonValue;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, description: 'update_rollout only' })
  @ValidateIf((dto: CreateScheduledChangeDto) => dto.changeType === 'update_rollout')
  @IsNumber(
    { allowNaN: false, allowInfinity: false },
    { message: 'newRolloutPercentage must be a number for an update_rollout change' },
  )
  @Min(0)
  @Max(100)
  newRolloutPercentage?: number;
}
