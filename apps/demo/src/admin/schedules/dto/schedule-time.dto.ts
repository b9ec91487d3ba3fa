import { ApiPropertyOptional } from '@nestjs/swagger';
import { BadRequestException } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, Max, Min, ValidateBy, ValidateIf } from 'class-validator';

const YEAR_SECONDS = 366 * 24 * 3600;
// What every store can hold: MySQL's DATETIME ends with the year 9999 and reads years before 1000
// as two-digit ones, so a date outside is refused here rather than failed or changed there.
const EARLIEST = new Date('1970-01-01T00:00:00Z');
const LATEST = new Date('9999-12-31T23:59:59Z');

/** Only a date can be out of range: anything else is left to IsDate, so it gets one message. */
function IsStorableDate(): PropertyDecorator {
  return ValidateBy({
    name: 'isStorableDate',
    validator: {
      validate: (value: unknown) =>
        !(value instanceof Date && (value < EARLIEST || value > LATEST)),
      defaultMessage: () => 'scheduledAt must be between 1970-01-01 and 9999-12-31',
    },
  });
}

/** When a scheduled item is due: an instant, or a delay from now (what a shell can write). */
export class ScheduleTimeDto {
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description:
      'When it is due (ISO 8601, years 1970–9999); a past time is applied at the next check',
  })
  @ValidateIf((dto: ScheduleTimeDto) => dto.inSeconds === undefined)
  @Type(() => Date)
  @IsDate({ message: 'scheduledAt must be an ISO 8601 date-time (or give inSeconds)' })
  @IsStorableDate()
  scheduledAt?: Date;

  @ApiPropertyOptional({
    description: 'Due this many seconds from now: instead of scheduledAt',
    minimum: 0,
    maximum: YEAR_SECONDS,
    example: 2,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(YEAR_SECONDS)
  inSeconds?: number;
}

/** The instant `time` names. @throws BadRequestException when it names two. */
export function dueAt(time: ScheduleTimeDto, now: Date = new Date()): Date {
  if (time.scheduledAt !== undefined && time.inSeconds !== undefined) {
    throw new BadRequestException(['give scheduledAt or inSeconds, not both']);
  }
  return time.scheduledAt ?? new Date(now.getTime() + (time.inSeconds ?? 0) * 1000);
}
