import { ApiKeyGuard, CurrentApiKey, type ApiKey } from '@gatekeeper/api-auth';
import { FeatureFlagClient } from '@gatekeeper/feature-flags';
import { Controller, Get, UseGuards } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiKeyView } from '../common/api-key.view';
import { apiKeyContext } from '../gatekeeper/api-key.context';
import { API_KEY_SECURITY } from '../openapi/openapi.constants';
import { AccountView } from './account.view';

@ApiTags('account')
@ApiSecurity(API_KEY_SECURITY)
@ApiUnauthorizedResponse({ description: 'Missing, unknown, expired or revoked API key' })
@Controller('me')
@UseGuards(ApiKeyGuard)
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
