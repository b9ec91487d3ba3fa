import { ApiKeyGuard, CurrentApiKey, RequireScopes, type ApiKey } from '@gatekeeper/api-auth';
import { InjectFeatureFlagStorage, type FeatureFlagStorage } from '@gatekeeper/feature-flags';
import { Controller, Param, Post, UseGuards } from '@nestjs/common';

@Controller('admin/flags')
@UseGuards(ApiKeyGuard)
export class FlagsAdminController {
  constructor(@InjectFeatureFlagStorage() private readonly storage: FeatureFlagStorage) {}

  @Post(':key')
  @RequireScopes('flags:write')
  async create(
    @Param('key') key: string,
    @CurrentApiKey() apiKey: ApiKey,
  ): Promise<{ key: string; createdBy: string }> {
    const flag = await this.storage.createFlag({ key, defaultEnabled: true });
    return { key: flag.key, createdBy: apiKey.ownerId };
  }
}
