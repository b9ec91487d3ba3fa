import type { FeatureFlag } from '../models/feature-flag.model';
import type { Segment } from '../models/segment.model';

/**
 * The segments an evaluation can see, answered synchronously: the engine stays pure, the flag
 * source reads them beforehand. `get` finds a segment by id, else by name; `undefined` when none.
 */
export interface SegmentLookup {
  get(ref: string): Segment | undefined;
  /** By id only: how a segment names its parent. */
  getById(id: string): Segment | undefined;
}

/** A lookup over a list of segments read together (`getAllSegments`). */
export class SegmentIndex implements SegmentLookup {
  private readonly byId = new Map<string, Segment>();
  private readonly byName = new Map<string, Segment>();

  constructor(segments: Iterable<Segment>) {
    for (const segment of segments) {
      this.byId.set(segment.id, segment);
      this.byName.set(segment.name, segment);
    }
  }

  get(ref: string): Segment | undefined {
    return this.byId.get(ref) ?? this.byName.get(ref);
  }

  getById(id: string): Segment | undefined {
    return this.byId.get(id);
  }
}

/** What a storage without segment methods answers: every segment is unknown. */
export const NO_SEGMENTS: SegmentLookup = { get: () => undefined, getById: () => undefined };

const usage = new WeakMap<FeatureFlag, boolean>();

/**
 * Whether a rule of `flag` names a segment, so that a source reads segments only for the flags
 * that need them. Remembered per flag object (cached flags are long-lived objects).
 */
export function usesSegments(flag: FeatureFlag): boolean {
  let uses = usage.get(flag);
  if (uses === undefined) {
    uses = Array.isArray(flag.rules) && flag.rules.some((rule) => conditionsUseSegments(rule));
    usage.set(flag, uses);
  }
  return uses;
}

function conditionsUseSegments(holder: { conditions?: unknown }): boolean {
  const conditions = holder?.conditions;
  return (
    Array.isArray(conditions) &&
    conditions.some((condition: { operator?: unknown } | null) =>
      isSegmentOperator(condition?.operator),
    )
  );
}

export function isSegmentOperator(operator: unknown): boolean {
  return operator === 'in_segment' || operator === 'not_in_segment';
}
