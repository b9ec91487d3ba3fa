import { OmitType } from '@nestjs/swagger';
import { CreateSegmentDto } from './create-segment.dto';

/** The whole segment but its name: a field left out gets its default (no parent, enabled, …). */
export class ReplaceSegmentDto extends OmitType(CreateSegmentDto, ['name'] as const) {}
