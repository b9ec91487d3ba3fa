import type { EvaluationDetails, FeatureFlag, FlagOverride } from '@gatekeeper/feature-flags';
import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Put,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPreconditionFailedResponse,
  ApiTags,
  type ApiResponseNoStatusOptions,
} from '@nestjs/swagger';
import { ApiKeyProtected } from '../../openapi/api-key-protected.decorator';
import { ReadsFlags, WritesFlags } from '../flag-admin-route.decorator';
import { CreateFlagDto } from './dto/create-flag.dto';
import { EvaluateQueryDto } from './dto/evaluate-query.dto';
import { OverrideDto } from './dto/override.dto';
import { OverrideParamsDto } from './dto/override-params.dto';
import { RuleDto } from './dto/rule.dto';
import { UpdateFlagDto } from './dto/update-flag.dto';
import { UpdateRuleDto } from './dto/update-rule.dto';
import { FlagETagInterceptor, IfMatch } from './flag-etag';
import { EvaluationView, FlagView, OverrideView } from './flag.view';
import { FlagsAdminService } from './flags-admin.service';

/** A flag in the body, its version as `ETag`. */
const FLAG_RESPONSE: ApiResponseNoStatusOptions = {
  type: FlagView,
  headers: {
    ETag: {
      description: 'The flag version as a strong entity tag, e.g. `"3"`: send it back in If-Match',
      schema: { type: 'string' },
    },
  },
};

/** If-Match on a write: 412 when the flag is no longer at that version; 409 when retries run out. */
function Conditional(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'If-Match',
      required: false,
      description:
        'The ETag of the flag the change is based on (or `*`). Without it the change is ' +
        're-applied to the current flag when another admin changed it meanwhile.',
    }),
    ApiPreconditionFailedResponse({
      description: 'If-Match does not name the current version: read the flag again',
    }),
    ApiConflictResponse({
      description: 'Without If-Match: other writers kept changing the flag through every retry',
    }),
  );
}

@ApiTags('admin: flags')
@ApiKeyProtected()
@UseInterceptors(FlagETagInterceptor)
@Controller('admin/flags')
export class FlagsAdminController {
  constructor(private readonly flags: FlagsAdminService) {}

  @Get()
  @ReadsFlags('Active flags', `Inactive flags: GET by key.`)
  @ApiOkResponse({ type: [FlagView] })
  list(): Promise<FeatureFlag[]> {
    return this.flags.listActive();
  }

  @Post()
  @WritesFlags('Create a flag')
  @ApiCreatedResponse(FLAG_RESPONSE)
  @ApiBadRequestResponse({ description: 'Invalid flag; nothing is stored' })
  @ApiConflictResponse({ description: 'A flag with this key exists' })
  create(@Body() body: CreateFlagDto): Promise<FeatureFlag> {
    return this.flags.create(body);
  }

  @Get(':key')
  @ReadsFlags('One flag, whatever its status')
  @ApiOkResponse(FLAG_RESPONSE)
  @ApiNotFoundResponse({ description: 'No such flag' })
  get(@Param('key') key: string): Promise<FeatureFlag> {
    return this.flags.get(key);
  }

  @Patch(':key')
  @WritesFlags(
    'Change a flag',
    `\`status: "inactive"\` turns it off for everyone (it serves its default).`,
  )
  @ApiOkResponse(FLAG_RESPONSE)
  @ApiBadRequestResponse({ description: 'Invalid change; nothing is stored' })
  @ApiNotFoundResponse({ description: 'No such flag' })
  @Conditional()
  update(
    @Param('key') key: string,
    @Body() body: UpdateFlagDto,
    @Headers('if-match') ifMatch?: string,
  ): Promise<FeatureFlag> {
    return this.flags.update(key, body, IfMatch.parse(ifMatch));
  }

  @Delete(':key')
  @HttpCode(HttpStatus.NO_CONTENT)
  @WritesFlags('Delete a flag and its overrides')
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such flag' })
  @ApiHeader({ name: 'If-Match', required: false, description: 'The ETag of the flag (or `*`)' })
  @ApiPreconditionFailedResponse({ description: 'If-Match does not name the current version' })
  delete(@Param('key') key: string, @Headers('if-match') ifMatch?: string): Promise<void> {
    return this.flags.delete(key, IfMatch.parse(ifMatch));
  }

  @Post(':key/rules')
  @WritesFlags('Add a targeting rule', `Names are unique per flag.`)
  @ApiCreatedResponse(FLAG_RESPONSE)
  @ApiBadRequestResponse({ description: 'Invalid rule; nothing is stored' })
  @Conditional()
  @ApiConflictResponse({
    description:
      'The flag has a rule with this name, or (without If-Match) the flag kept changing through every retry',
  })
  addRule(
    @Param('key') key: string,
    @Body() body: RuleDto,
    @Headers('if-match') ifMatch?: string,
  ): Promise<FeatureFlag> {
    return this.flags.addRule(key, body, IfMatch.parse(ifMatch));
  }

  @Patch(':key/rules/:rule')
  @WritesFlags(
    'Change a rule (by name or id)',
    `E.g. \`{"rolloutPercentage": 50}\` widens a rollout.`,
  )
  @ApiOkResponse(FLAG_RESPONSE)
  @ApiBadRequestResponse({ description: 'Invalid change; nothing is stored' })
  @ApiNotFoundResponse({ description: 'No such flag or rule' })
  @Conditional()
  updateRule(
    @Param('key') key: string,
    @Param('rule') rule: string,
    @Body() body: UpdateRuleDto,
    @Headers('if-match') ifMatch?: string,
  ): Promise<FeatureFlag> {
    return this.flags.updateRule(key, rule, body, IfMatch.parse(ifMatch));
  }

  @Delete(':key/rules/:rule')
  @WritesFlags('Remove a rule (by name or id)')
  @ApiOkResponse(FLAG_RESPONSE)
  @ApiNotFoundResponse({ description: 'No such flag or rule' })
  @Conditional()
  deleteRule(
    @Param('key') key: string,
    @Param('rule') rule: string,
    @Headers('if-match') ifMatch?: string,
  ): Promise<FeatureFlag> {
    return this.flags.deleteRule(key, rule, IfMatch.parse(ifMatch));
  }

  @Get(':key/overrides/:entityType/:entityId')
  @ReadsFlags('An override')
  @ApiOkResponse({ type: OverrideView })
  @ApiNotFoundResponse({ description: 'No such flag or override' })
  getOverride(@Param() params: OverrideParamsDto): Promise<FlagOverride> {
    return this.flags.getOverride(params);
  }

  @Put(':key/overrides/:entityType/:entityId')
  @WritesFlags(
    'Turn a flag on or off for one entity',
    `The demo evaluates flags with the API-key owner as \`user\`: \`PUT …/overrides/user/acme\`.`,
  )
  @ApiOkResponse({ type: OverrideView })
  @ApiBadRequestResponse({ description: 'Invalid override; nothing is stored' })
  @ApiNotFoundResponse({ description: 'No such flag' })
  setOverride(
    @Param() params: OverrideParamsDto,
    @Body() body: OverrideDto,
  ): Promise<FlagOverride> {
    return this.flags.setOverride(params, body);
  }

  @Delete(':key/overrides/:entityType/:entityId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @WritesFlags('Remove an override')
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such flag or override' })
  deleteOverride(@Param() params: OverrideParamsDto): Promise<void> {
    return this.flags.deleteOverride(params);
  }

  @Get(':key/evaluation')
  @ReadsFlags(
    'What a key owner gets, and why',
    `Uses the same context as the routes: the owner id is the targeting key.`,
  )
  @ApiOkResponse({ type: EvaluationView })
  @ApiNotFoundResponse({ description: 'No such flag' })
  evaluate(
    @Param('key') key: string,
    @Query() query: EvaluateQueryDto,
  ): Promise<EvaluationDetails> {
    return this.flags.evaluate(key, query.ownerId);
  }
}
