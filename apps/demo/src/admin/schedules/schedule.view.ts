import { SCHEDULED_CHANGE_TYPES, TIME_SCHEDULE_RECURRENCES } from '@gatekeeper/feature-flags';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/* Response shapes for the OpenAPI document; the handlers return the library's objects as they are. */

export class ScheduledChangeView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) flagId!: string;
  @ApiProperty({ enum: SCHEDULED_CHANGE_TYPES }) changeType!: string;
  @ApiProperty() scheduledAt!: Date;
  @ApiProperty() executed!: boolean;
  @ApiPropertyOptional({ nullable: true }) executedAt!: Date | null;
  @ApiPropertyOptional({ nullable: true }) newValue!: unknown;
  @ApiPropertyOptional({ nullable: true }) newRolloutPercentage!: number | null;
  @ApiPropertyOptional({ nullable: true, description: 'The owner of the key that scheduled it' })
  createdBy!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class RolloutPhaseView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) flagId!: string;
  @ApiProperty() phaseNumber!: number;
  @ApiProperty() targetPercentage!: number;
  @ApiProperty() scheduledAt!: Date;
  @ApiProperty() executed!: boolean;
  @ApiPropertyOptional({ nullable: true }) executedAt!: Date | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class TimeScheduleView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) flagId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: TIME_SCHEDULE_RECURRENCES }) recurrenceType!: string;
  @ApiPropertyOptional({ nullable: true }) startTime!: string | null;
  @ApiPropertyOptional({ nullable: true }) endTime!: string | null;
  @ApiPropertyOptional({ type: [Number], nullable: true }) daysOfWeek!: number[] | null;
  @ApiPropertyOptional({ type: [Number], nullable: true }) daysOfMonth!: number[] | null;
  @ApiPropertyOptional({ nullable: true }) cronExpression!: string | null;
  @ApiProperty() timezone!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}
