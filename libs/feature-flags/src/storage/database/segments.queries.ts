import { sortByName } from '../../models/ordering';
import { uniqueViolation } from '@gatekeeper/common';
import type { ObjectLiteral } from 'typeorm';
import { FLAG_LIMITS, isStorableKey } from '../../models/feature-flag.model';
import {
  buildSegment,
  type CreateSegmentInput,
  type Segment,
  type UpdateSegmentInput,
} from '../../models/segment.model';
import {
  InvalidFlagError,
  SegmentAlreadyExistsError,
  SegmentNotFoundError,
} from '../storage.errors';
import { isStorableId, type FlagTables } from './flag.queries';

/** The segments of a DatabaseFeatureFlagStorage; unique names are the database's unique index. */
export class DatabaseSegments {
  constructor(private readonly tables: FlagTables) {}

  async get(id: string): Promise<Segment | null> {
    if (!isStorableId(id)) return null;
    const row = await this.tables.manager().findOneBy(this.tables.entities.segment, { id });
    return row && toSegment(row);
  }

  async getByName(name: string): Promise<Segment | null> {
    if (!isStorableKey(name, FLAG_LIMITS.nameLength)) return null;
    const row = await this.tables.manager().findOneBy(this.tables.entities.segment, { name });
    return row && toSegment(row);
  }

  async all(): Promise<Segment[]> {
    const rows = await this.tables.manager().find(this.tables.entities.segment);
    // Sorted here: ORDER BY follows the database's collation, which differs between backends.
    return sortByName(rows.map(toSegment));
  }

  /** All segments, filtered here: segments are few and read together. */
  async children(parentId: string): Promise<Segment[]> {
    return (await this.all()).filter((segment) => segment.parentSegmentId === parentId);
  }

  async create(input: CreateSegmentInput): Promise<Segment> {
    const segment = buildSegment(input);
    try {
      await this.tables.write((manager) =>
        manager.insert<ObjectLiteral>(this.tables.entities.segment, segment),
      );
    } catch (error) {
      // The unique index decides, so two concurrent creates cannot both win.
      if (!uniqueViolation(error)) throw error;
      if (input.id !== undefined && (await this.get(segment.id))) {
        throw new InvalidFlagError(`a segment with id "${segment.id}" already exists`, 'id');
      }
      throw new SegmentAlreadyExistsError(segment.name);
    }
    return segment;
  }

  async update(input: UpdateSegmentInput): Promise<Segment> {
    if (!isStorableId(input.id)) throw new SegmentNotFoundError(input.id);
    return this.tables.transaction(async (manager) => {
      const stored = await this.tables
        .lockForUpdate(
          manager
            .createQueryBuilder(this.tables.entities.segment, 's')
            .where('s.id = :id', { id: input.id }),
        )
        .getOne();
      if (!stored) throw new SegmentNotFoundError(input.id);
      const segment = buildSegment({ ...input, createdAt: stored.createdAt });
      const { id, ...changes } = segment;
      try {
        await manager.update<ObjectLiteral>(this.tables.entities.segment, { id }, changes);
      } catch (error) {
        if (uniqueViolation(error)) throw new SegmentAlreadyExistsError(segment.name);
        throw error;
      }
      return segment;
    });
  }

  async delete(id: string): Promise<boolean> {
    if (!isStorableId(id)) return false;
    const result = await this.tables.write((manager) =>
      manager.delete(this.tables.entities.segment, { id }),
    );
    return (result.affected ?? 0) > 0;
  }
}

/** A segment row as the model: an unset description or parent comes back as NULL, kept as null. */
function toSegment(row: Segment): Segment {
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? null,
    conditions: row.conditions,
    parentSegmentId: row.parentSegmentId ?? null,
    enabled: Boolean(row.enabled),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
