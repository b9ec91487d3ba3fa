import { OmitType, PartialType } from '@nestjs/swagger';
import { CreateFlagDto } from './create-flag.dto';

/** Fields to change; rules have their own routes. `variants`, when given, replaces the list. */
export class UpdateFlagDto extends PartialType(
  OmitType(CreateFlagDto, ['key', 'rules'] as const),
) {}
