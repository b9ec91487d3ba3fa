import { ApiProperty } from '@nestjs/swagger';
import { ApiKeyView } from '../../common/api-key.view';

export class CreatedKeyView {
  @ApiProperty({
    description: 'The key itself. Shown this once: only its hash is stored',
    example: 'sk_FYACCqttrhUQLwb0ccz0nEeScmayHEM83LX4QO',
  })
  key!: string;

  @ApiProperty({ type: ApiKeyView })
  apiKey!: ApiKeyView;
}

export class RotatedKeyView extends CreatedKeyView {
  @ApiProperty({
    type: ApiKeyView,
    description: 'The old key, now expiring at the end of the grace period',
  })
  previous!: ApiKeyView;
}

export class KeyPageView {
  @ApiProperty({ type: [ApiKeyView] })
  items!: ApiKeyView[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass it as `cursor` for the next page; null on the last page',
  })
  nextCursor!: string | null;
}
