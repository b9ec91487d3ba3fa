import { TIME_SCHEDULE_RECURRENCES, type TimeScheduleRecurrence } from '@gatekeeper/feature-flags';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  MaxLength,
} from 'class-validator';

/** The fields each recurrence needs are checked by the library, which names the one at fault. */
export class CreateTimeScheduleDto {
  @ApiProperty({ example: 'office hours' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: TIME_SCHEDULE_RECURRENCES, example: 'daily' })
  @IsIn(TIME_SCHEDULE_RECURRENCES)
  recurrenceType!: TimeScheduleRecurrence;

  @ApiPropertyOptional({ description: 'HH:MM, inclusive (not for cron)', example: '09:00' })
  @IsOptional()
  @IsString()
  @MaxLength(5)
  startTime?: string;

  @ApiPropertyOptional({
    description: 'HH:MM or 24:00, exclusive; before startTime crosses midnight (not for cron)',
    example: '17:00',
  })
  @IsOptional()
  @IsString()
  @MaxLength(5)
  endTime?: string;

  @ApiPropertyOptional({ type: [Number], description: 'weekly: 0 = Monday … 6 = Sunday' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(7)
  @IsInt({ each: true })
  daysOfWeek?: number[];

  @ApiPropertyOptional({ type: [Number], description: 'monthly: days 1–31' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(31)
  @IsInt({ each: true })
  daysOfMonth?: number[];

  @ApiPropertyOptional({ description: 'cron: 5 fields', example: '*/15 9-17 * * 1-5' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  cronExpression?: string;

  @ApiPropertyOptional({ default: 'UTC', example: 'Europe/Berlin' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  timezone?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}
