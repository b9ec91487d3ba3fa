import {
  InjectFeatureFlagStorage,
  type FeatureFlagStorage,
  type Segment,
} from '@gatekeeper/feature-flags';
import {
  BadRequestException,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { wouldLoop } from '../../common/parent-chain';
import type { CreateSegmentDto } from './dto/create-segment.dto';
import type { ReplaceSegmentDto } from './dto/replace-segment.dto';

/**
 * Segments by name, on the configured storage (every built-in storage has the segment methods).
 * The API names a parent by name; the storage keeps its id.
 */
@Injectable()
export class SegmentsAdminService {
  constructor(@InjectFeatureFlagStorage() private readonly storage: FeatureFlagStorage) {}

  list(): Promise<Segment[]> {
    return this.storage.getAllSegments!();
  }

  async get(name: string): Promise<Segment> {
    const segment = await this.storage.getSegmentByName!(name);
    if (!segment) throw new NotFoundException(`no segment named "${name}"`);
    return segment;
  }

  async create({ parent, ...input }: CreateSegmentDto): Promise<Segment> {
    return this.storage.createSegment!({
      ...input,
      parentSegmentId: await this.parentId(parent),
    });
  }

  async replace(name: string, input: ReplaceSegmentDto): Promise<Segment> {
    const segment = await this.get(name);
    const parentSegmentId = await this.parentId(input.parent);
    if (parentSegmentId !== null) {
      const all = await this.storage.getAllSegments!();
      if (wouldLoop(all, (s) => s.parentSegmentId, parentSegmentId, segment.id)) {
        throw new BadRequestException([
          `parent "${input.parent}" is "${name}" or below it: a segment cannot be its own ancestor`,
        ]);
      }
    }
    return this.storage.updateSegment!({
      id: segment.id,
      name: segment.name,
      createdAt: segment.createdAt,
      description: input.description ?? null,
      conditions: input.conditions ?? [],
      parentSegmentId,
      enabled: input.enabled ?? true,
    });
  }

  async delete(name: string): Promise<void> {
    const segment = await this.get(name);
    if (!(await this.storage.deleteSegment!(segment.id))) {
      throw new NotFoundException(`no segment named "${name}"`);
    }
  }

  private async parentId(parent: string | null | undefined): Promise<string | null> {
    if (parent === undefined || parent === null) return null;
    const segment = await this.storage.getSegmentByName!(parent);
    if (!segment) throw new UnprocessableEntityException([`parent: no segment named "${parent}"`]);
    return segment.id;
  }
}
