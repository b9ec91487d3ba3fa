import { PartialType } from '@nestjs/swagger';
import { CreateEnvironmentDto } from './create-environment.dto';

/** Fields to change; `parent: null` detaches it, `settings` replaces the object. */
export class UpdateEnvironmentDto extends PartialType(CreateEnvironmentDto) {}
