import { CurrentApiKey, type ApiKey } from '@gatekeeper/api-auth';
import { FeatureFlagClient } from '@gatekeeper/feature-flags';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyView } from '../common/api-key.view';
import { apiKeyContext } from '../gatekeeper/api-key.context';
import { ApiKeyProtected } from '../openapi/api-key-protected.decorator';
import { AccountView } from './account.view';

@ApiTags('account')
@ApiKeyProtected(false)
@Controller('me')
export class AccountController {
  constructor(private readonly flags: FeatureFlagClient) {}

  @Get()
  @ApiOperation({
    summary: 'The calling key and the flags its owner gets',
    description: 'Any valid key, no scope needed.',
  })
  @ApiOkResponse({ type: AccountView })
  async me(@CurrentApiKey() apiKey: ApiKey): Promise<AccountView> {
    return {
      apiKey: ApiKeyView.from(apiKey),
      flags: await this.flags.getAllFlags(apiKeyContext(apiKey)),
    };
  }
}
