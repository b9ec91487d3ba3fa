import {
  ApiKeyService,
  InjectApiKeyStorage,
  RequireScopes,
  type ApiKeyStorage,
} from '@gatekeeper/api-auth';
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  NotImplementedException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyView } from '../../common/api-key.view';
import { Scopes } from '../../gatekeeper/demo.constants';
import {
  InvalidCursorError,
  KeyListing,
  KeyListingUnavailableError,
} from '../../key-listing/key-listing';
import { ApiKeyProtected } from '../../openapi/api-key-protected.decorator';
import { CreateKeyDto } from './dto/create-key.dto';
import { ListKeysQueryDto } from './dto/list-keys-query.dto';
import { RotateKeyDto } from './dto/rotate-key.dto';
import { CreatedKeyView, KeyPageView, RotatedKeyView } from './key.view';

/** Key administration; every route needs scope `keys:admin`. */
@ApiTags('admin: keys')
@ApiKeyProtected('The key lacks scope `keys:admin`')
@Controller('admin/keys')
@RequireScopes(Scopes.keysAdmin)
export class KeysAdminController {
  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly listing: KeyListing,
    @InjectApiKeyStorage() private readonly storage: ApiKeyStorage,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Issue a key',
    description: 'Scope `keys:admin`. The answer holds the key itself, the only time it is shown.',
  })
  @ApiCreatedResponse({ type: CreatedKeyView })
  @ApiBadRequestResponse({ description: 'Invalid body; no key is created' })
  async create(@Body() body: CreateKeyDto): Promise<CreatedKeyView> {
    const { key, apiKey } = await this.apiKeys.create(body);
    return { key, apiKey: ApiKeyView.from(apiKey) };
  }

  @Get()
  @ApiOperation({
    summary: 'Every key, or one owner’s, a page at a time',
    description:
      'Scope `keys:admin`. Revoked and expired keys included, ordered by owner, then creation ' +
      'time. When `nextCursor` is not null, pass it as `cursor` (with the same `ownerId`) for ' +
      'the next page.',
  })
  @ApiOkResponse({ type: KeyPageView })
  @ApiBadRequestResponse({ description: 'Bad query, e.g. `owner` (now `ownerId`) or a cursor' })
  async list(@Query() query: ListKeysQueryDto): Promise<KeyPageView> {
    try {
      const { items, nextCursor } = await this.listing.page(query);
      return { items: items.map((apiKey) => ApiKeyView.from(apiKey)), nextCursor };
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new BadRequestException([error.message]);
      if (error instanceof KeyListingUnavailableError) {
        throw new NotImplementedException(error.message);
      }
      throw error;
    }
  }

  @Get(':id')
  @ApiOperation({ summary: 'One key', description: 'Scope `keys:admin`.' })
  @ApiOkResponse({ type: ApiKeyView })
  @ApiNotFoundResponse({ description: 'No such key' })
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<ApiKeyView> {
    const apiKey = await this.storage.getById(id);
    if (!apiKey) throw new NotFoundException(`no API key ${id}`);
    return ApiKeyView.from(apiKey);
  }

  @Post(':id/revoke')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Revoke a key, for good',
    description: 'Scope `keys:admin`. The next request with the key gets 401 `revoked_api_key`.',
  })
  @ApiOkResponse({ type: ApiKeyView })
  @ApiNotFoundResponse({ description: 'No such key' })
  async revoke(@Param('id', new ParseUUIDPipe()) id: string): Promise<ApiKeyView> {
    return ApiKeyView.from(await this.apiKeys.revoke(id));
  }

  @Post(':id/rotate')
  @ApiOperation({
    summary: 'Replace a key',
    description:
      'Scope `keys:admin`. Issues a new key with the same owner and scopes; the old one works ' +
      'until the grace period ends.',
  })
  @ApiCreatedResponse({ type: RotatedKeyView })
  @ApiNotFoundResponse({ description: 'No such key' })
  @ApiConflictResponse({ description: 'The key is revoked or expired' })
  async rotate(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: RotateKeyDto,
  ): Promise<RotatedKeyView> {
    const { key, apiKey, previous } = await this.apiKeys.rotate(id, {
      gracePeriodSeconds: body.gracePeriodSeconds ?? 0,
    });
    return { key, apiKey: ApiKeyView.from(apiKey), previous: ApiKeyView.from(previous) };
  }
}
