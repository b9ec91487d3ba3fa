import type { ApiKey } from '@gatekeeper/api-auth';
import { ApiProperty } from '@nestjs/swagger';

/**
 * An `ApiKey` as the API shows it: everything but `keyHash` (a hash of an unsalted secret is not
 * for the wire, even though the key itself cannot be recovered from it).
 */
export class ApiKeyView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'acme shop' })
  name!: string;

  @ApiProperty({ example: 'acme' })
  ownerId!: string;

  @ApiProperty({
    description: 'The first characters of the key, for recognising it',
    example: 'sk_FYACCq',
  })
  prefix!: string;

  @ApiProperty({ example: ['orders:read', 'orders:write'] })
  scopes!: string[];

  @ApiProperty({ type: 'object', additionalProperties: true })
  metadata!: Record<string, unknown>;

  @ApiProperty({ enum: ['active', 'expired', 'revoked'] })
  status!: 'active' | 'expired' | 'revoked';

  @ApiProperty()
  createdAt!: Date;

  @ApiProperty({ nullable: true, type: Date })
  expiresAt!: Date | null;

  @ApiProperty({ nullable: true, type: Date })
  revokedAt!: Date | null;

  @ApiProperty({ nullable: true, type: Date, description: 'Recorded at most once a minute' })
  lastUsedAt!: Date | null;

  static from(apiKey: ApiKey, now: Date = new Date()): ApiKeyView {
    const { keyHash: _keyHash, ...visible } = apiKey;
    return Object.assign(new ApiKeyView(), visible, { status: keyStatus(apiKey, now) });
  }
}

export function keyStatus(apiKey: ApiKey, now: Date = new Date()): ApiKeyView['status'] {
  if (apiKey.revokedAt) return 'revoked';
  if (apiKey.expiresAt && new Date(apiKey.expiresAt).getTime() <= now.getTime()) return 'expired';
  return 'active';
}
