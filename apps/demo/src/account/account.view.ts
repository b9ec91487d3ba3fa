import type { EvaluationDetails } from '@gatekeeper/feature-flags';
import { ApiProperty } from '@nestjs/swagger';
import { ApiKeyView } from '../common/api-key.view';

export class AccountView {
  @ApiProperty({ type: ApiKeyView, description: 'The key this request was made with' })
  apiKey!: ApiKeyView;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Every active flag evaluated for the key owner: { value, reason, variant, … }',
  })
  flags!: Record<string, EvaluationDetails>;
}
