import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsNumber, Max, Min } from 'class-validator';
import { ScheduleTimeDto } from './schedule-time.dto';

export class CreateRolloutPhaseDto extends ScheduleTimeDto {
  @ApiProperty({
    description: 'Unique per flag; phases due together apply in this order',
    example: 1,
  })
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  phaseNumber!: number;

  @ApiProperty({
    minimum: 0,
    maximum: 100,
    description: 'The rollout percentage the flag’s rollout rules get when the phase is due',
    example: 50,
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  targetPercentage!: number;
}
