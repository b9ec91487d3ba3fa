import type { Segment } from '@gatekeeper/feature-flags';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Put,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ApiKeyProtected } from '../../openapi/api-key-protected.decorator';
import { ReadsFlags, WritesFlags } from '../flag-admin-route.decorator';
import { CreateSegmentDto } from './dto/create-segment.dto';
import { ReplaceSegmentDto } from './dto/replace-segment.dto';
import { SegmentView } from './segment.view';
import { SegmentsAdminService } from './segments-admin.service';

@ApiTags('admin: segments')
@ApiKeyProtected()
@Controller('admin/segments')
export class SegmentsAdminController {
  constructor(private readonly segments: SegmentsAdminService) {}

  @Get()
  @ReadsFlags('Every segment, by name')
  @ApiOkResponse({ type: [SegmentView] })
  list(): Promise<Segment[]> {
    return this.segments.list();
  }

  @Post()
  @WritesFlags(
    'Create a segment',
    `Rules target it with the operators \`in_segment\` / \`not_in_segment\` and ` +
      'its name as the value.',
  )
  @ApiCreatedResponse({ type: SegmentView })
  @ApiBadRequestResponse({ description: 'Invalid segment; nothing is stored' })
  @ApiConflictResponse({ description: 'A segment with this name exists' })
  @ApiUnprocessableEntityResponse({ description: 'No segment has the parent name' })
  create(@Body() body: CreateSegmentDto): Promise<Segment> {
    return this.segments.create(body);
  }

  @Get(':name')
  @ReadsFlags('One segment')
  @ApiOkResponse({ type: SegmentView })
  @ApiNotFoundResponse({ description: 'No such segment' })
  get(@Param('name') name: string): Promise<Segment> {
    return this.segments.get(name);
  }

  @Put(':name')
  @WritesFlags(
    'Replace a segment’s conditions, description, parent and enabled',
    `A field left out gets its default: no conditions, no parent, enabled.`,
  )
  @ApiOkResponse({ type: SegmentView })
  @ApiBadRequestResponse({
    description: 'Invalid segment, or a parent below it; nothing is stored',
  })
  @ApiNotFoundResponse({ description: 'No such segment' })
  @ApiUnprocessableEntityResponse({ description: 'No segment has the parent name' })
  replace(@Param('name') name: string, @Body() body: ReplaceSegmentDto): Promise<Segment> {
    return this.segments.replace(name, body);
  }

  @Delete(':name')
  @HttpCode(HttpStatus.NO_CONTENT)
  @WritesFlags(
    'Delete a segment',
    `Rules naming it stop matching (\`in_segment\` is false from now on).`,
  )
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such segment' })
  delete(@Param('name') name: string): Promise<void> {
    return this.segments.delete(name);
  }
}
