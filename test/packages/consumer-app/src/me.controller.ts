import { ApiKeyGuard, CurrentApiKey, RequireScopes, type ApiKey } from '@gatekeeper/api-auth';
import { Controller, Get, UseGuards } from '@nestjs/common';

@Controller('me')
@UseGuards(ApiKeyGuard)
export class MeController {
  @Get()
  @RequireScopes('reports:read')
  me(@CurrentApiKey() apiKey: ApiKey): { ownerId: string; scopes: string[] } {
    return { ownerId: apiKey.ownerId, scopes: apiKey.scopes };
  }
}
