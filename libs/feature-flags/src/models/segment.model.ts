import { newId } from '@gatekeeper/common';
import { InvalidFlagError } from '../storage/storage.errors';
import {
  checkConditions,
  copyDate,
  FieldCheck,
  FLAG_LIMITS,
  printable,
  type FlagCondition,
} from './feature-flag.model';

/**
 * A named group of contexts ("premium users in the EU") that rules target with the `in_segment` /
 * `not_in_segment` operators, by the segment's id or name. A context is a member when the segment
 * is enabled, matches all its conditions, and is a member of the parent segment, if any.
 */
export interface Segment {
  id: string;
  /** Unique among the segments of a storage. */
  name: string;
  description: string | null;
  /** ANDed, like a rule's; an empty list matches every context. */
  conditions: FlagCondition[];
  /** The id of the segment this one narrows down, or `null`. */
  parentSegmentId: string | null;
  /** A disabled segment has no members (nor have the segments below it). */
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What `createSegment` accepts: only `name` is required. */
export type CreateSegmentInput = Pick<Segment, 'name'> & Partial<Omit<Segment, 'name'>>;

/** What `updateSegment` accepts: a segment as read, changed (a full replacement by `id`). */
export type UpdateSegmentInput = Pick<Segment, 'id' | 'name'> &
  Partial<Omit<Segment, 'id' | 'name'>>;

/**
 * Normalises input into a complete, validated segment, as `buildFlag` does for flags: fills the id,
 * defaults and timestamps, and checks every field against FLAG_LIMITS (conditions as a rule's).
 * `createdAt` and `id` are kept when present; `updatedAt` is always `now`.
 * @throws InvalidFlagError when a field cannot be stored as given.
 */
export function buildSegment(
  input: CreateSegmentInput | UpdateSegmentInput,
  now: Date = new Date(),
): Segment {
  const name = input.name;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InvalidFlagError('a segment needs a non-empty string name', 'name');
  }
  const where = `segment "${printable(name)}": `;
  const check = new FieldCheck(where);
  check.key('name', name, FLAG_LIMITS.nameLength);
  if (input.id !== undefined) check.key('id', input.id, FLAG_LIMITS.idLength);
  check.optionalText('description', input.description, FLAG_LIMITS.descriptionLength, true);
  const parent = input.parentSegmentId ?? null;
  if (parent !== null) {
    check.key('parentSegmentId', parent, FLAG_LIMITS.idLength);
    if (parent === input.id) check.fail('parentSegmentId', 'must not be the segment itself');
  }
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
    check.fail('enabled', 'must be a boolean');
  }
  const conditions = checkConditions(where, 'conditions', input.conditions ?? [], 'a condition');
  return {
    id: input.id ?? newId(),
    name,
    description: input.description ?? null,
    conditions,
    parentSegmentId: parent,
    enabled: input.enabled ?? true,
    createdAt: copyDate(input.createdAt) ?? now,
    updatedAt: now,
  };
}
