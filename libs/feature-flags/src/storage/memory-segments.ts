import { sortByName } from '../models/ordering';
import { deepCopy } from '@gatekeeper/common';
import type { SegmentLookup } from '../evaluation/segments';
import {
  buildSegment,
  type CreateSegmentInput,
  type Segment,
  type UpdateSegmentInput,
} from '../models/segment.model';
import {
  InvalidFlagError,
  SegmentAlreadyExistsError,
  SegmentNotFoundError,
} from './storage.errors';

/**
 * The segments of a memory storage, by id and by name; also the lookup evaluation reads (the
 * records themselves). Every write checks and writes without an await in between. Returns copies.
 */
export class MemorySegments implements SegmentLookup {
  private readonly byId = new Map<string, Segment>();
  private readonly idByName = new Map<string, string>();

  get(ref: string): Segment | undefined {
    const byId = this.byId.get(ref);
    if (byId !== undefined) return byId;
    const id = this.idByName.get(ref);
    return id === undefined ? undefined : this.byId.get(id);
  }

  getById(id: string): Segment | undefined {
    return this.byId.get(id);
  }

  read(id: string): Segment | null {
    const segment = this.byId.get(id);
    return segment ? deepCopy(segment) : null;
  }

  readByName(name: string): Segment | null {
    const id = this.idByName.get(name);
    return id === undefined ? null : this.read(id);
  }

  all(): Segment[] {
    return sortByName([...this.byId.values()].map((segment) => deepCopy(segment)));
  }

  create(input: CreateSegmentInput): Segment {
    const segment = buildSegment(input);
    if (this.idByName.has(segment.name)) throw new SegmentAlreadyExistsError(segment.name);
    if (this.byId.has(segment.id)) {
      throw new InvalidFlagError(`a segment with id "${segment.id}" already exists`, 'id');
    }
    this.put(segment);
    return deepCopy(segment);
  }

  update(input: UpdateSegmentInput): Segment {
    const stored = this.byId.get(input.id);
    if (!stored) throw new SegmentNotFoundError(input.id);
    const segment = buildSegment({ ...input, createdAt: stored.createdAt });
    const owner = this.idByName.get(segment.name);
    if (owner !== undefined && owner !== segment.id) {
      throw new SegmentAlreadyExistsError(segment.name);
    }
    this.remove(stored);
    this.put(segment);
    return deepCopy(segment);
  }

  delete(id: string): boolean {
    const stored = this.byId.get(id);
    if (!stored) return false;
    this.remove(stored);
    return true;
  }

  private put(segment: Segment): void {
    this.byId.set(segment.id, segment);
    this.idByName.set(segment.name, segment.id);
  }

  private remove(segment: Segment): void {
    this.byId.delete(segment.id);
    if (this.idByName.get(segment.name) === segment.id) this.idByName.delete(segment.name);
  }
}
