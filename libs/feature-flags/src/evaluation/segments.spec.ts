import { buildFlag, type FlagCondition } from '../models/feature-flag.model';
import { buildSegment, type CreateSegmentInput, type Segment } from '../models/segment.model';
import type { EvaluationContext } from '../models/evaluation.model';
import { evaluateFlag } from './evaluation.engine';
import { SegmentIndex, usesSegments } from './segments';

/** A flag with one rule: on when `condition` holds, else off. */
const gated = (condition: FlagCondition) =>
  buildFlag({ key: 'gated', rules: [{ name: 'gate', conditions: [condition] }] });
const inSegment = (ref: string) =>
  gated({ attribute: 'segment', operator: 'in_segment', value: ref });
const notInSegment = (ref: string) =>
  gated({ attribute: 'segment', operator: 'not_in_segment', value: ref });

const segment = (input: CreateSegmentInput): Segment => buildSegment(input);

const eu = segment({
  id: 'seg-eu',
  name: 'eu',
  conditions: [{ attribute: 'country', operator: 'in', value: ['DE', 'FR'] }],
});
const euPro = segment({
  id: 'seg-eu-pro',
  name: 'eu-pro',
  parentSegmentId: 'seg-eu',
  conditions: [{ attribute: 'plan', operator: 'eq', value: 'pro' }],
});
const euProBeta = segment({
  id: 'seg-eu-pro-beta',
  name: 'eu-pro-beta',
  parentSegmentId: 'seg-eu-pro',
  conditions: [{ attribute: 'beta', operator: 'eq', value: true }],
});

const proInGermany: EvaluationContext = { country: 'DE', attributes: { plan: 'pro', beta: true } };
const proInUs: EvaluationContext = { country: 'US', attributes: { plan: 'pro', beta: true } };

function on(flag: ReturnType<typeof gated>, context: EvaluationContext, segments: Segment[]) {
  return evaluateFlag(flag, context, undefined, undefined, new SegmentIndex(segments)).enabled;
}

describe('segment conditions', () => {
  it('match a segment by id or by name', () => {
    expect(on(inSegment('seg-eu'), proInGermany, [eu])).toBe(true);
    expect(on(inSegment('eu'), proInGermany, [eu])).toBe(true);
    expect(on(inSegment('eu'), proInUs, [eu])).toBe(false);
    expect(on(notInSegment('eu'), proInUs, [eu])).toBe(true);
    expect(on(notInSegment('seg-eu'), proInGermany, [eu])).toBe(false);
  });

  it('serve the rule with TARGETING_MATCH and its name as variant', () => {
    const result = evaluateFlag(
      inSegment('eu'),
      proInGermany,
      undefined,
      undefined,
      new SegmentIndex([eu]),
    );
    expect(result).toMatchObject({ value: true, reason: 'TARGETING_MATCH', variant: 'gate' });
  });

  it('require membership of every ancestor: nested segments narrow down', () => {
    const all = [eu, euPro, euProBeta];
    expect(on(inSegment('eu-pro-beta'), proInGermany, all)).toBe(true);
    // The segment's own conditions hold, its grandparent's do not.
    expect(on(inSegment('eu-pro-beta'), proInUs, all)).toBe(false);
    expect(on(notInSegment('eu-pro-beta'), proInUs, all)).toBe(true);
    // Its parent's conditions do not hold.
    const free = { country: 'DE', attributes: { plan: 'free', beta: true } };
    expect(on(inSegment('eu-pro-beta'), free, all)).toBe(false);
    expect(on(inSegment('eu'), free, all)).toBe(true);
  });

  it('give a disabled segment, or one below a disabled parent, no members', () => {
    const disabledParent = [{ ...eu, enabled: false }, euPro];
    expect(on(inSegment('eu-pro'), proInGermany, disabledParent)).toBe(false);
    expect(on(notInSegment('eu-pro'), proInGermany, disabledParent)).toBe(true);
    expect(on(inSegment('eu-pro'), proInGermany, [eu, { ...euPro, enabled: false }])).toBe(false);
  });

  it('treat an unknown segment as one nobody is in', () => {
    expect(on(inSegment('nope'), proInGermany, [eu])).toBe(false);
    expect(on(notInSegment('nope'), proInGermany, [eu])).toBe(true);
    // Without any segments (a storage without segment methods), every segment is unknown.
    expect(evaluateFlag(inSegment('eu'), proInGermany).enabled).toBe(false);
    expect(evaluateFlag(notInSegment('eu'), proInGermany).enabled).toBe(true);
  });

  it('give a segment whose parent no longer exists no members', () => {
    expect(on(inSegment('eu-pro'), proInGermany, [euPro])).toBe(false);
    expect(on(notInSegment('eu-pro'), proInGermany, [euPro])).toBe(true);
  });

  it('make a condition on a parent cycle false either way, without hanging', () => {
    const a = segment({ id: 'a', name: 'seg-a', parentSegmentId: 'b' });
    const b = segment({ id: 'b', name: 'seg-b', parentSegmentId: 'c' });
    const c = segment({ id: 'c', name: 'seg-c', parentSegmentId: 'a' });
    for (const ref of ['seg-a', 'b', 'c']) {
      expect(on(inSegment(ref), proInGermany, [a, b, c])).toBe(false);
      expect(on(notInSegment(ref), proInGermany, [a, b, c])).toBe(false);
    }
    // Stored by another writer: a segment that is its own parent.
    const self = { ...segment({ id: 'self', name: 'self' }), parentSegmentId: 'self' };
    expect(on(inSegment('self'), proInGermany, [self])).toBe(false);
    expect(on(notInSegment('self'), proInGermany, [self])).toBe(false);
  });

  it('follow segment conditions inside segments, and stop at a cycle through them', () => {
    const proInEu = segment({
      id: 'pro-in-eu',
      name: 'pro-in-eu',
      conditions: [
        { attribute: 'segment', operator: 'in_segment', value: 'eu' },
        { attribute: 'plan', operator: 'eq', value: 'pro' },
      ],
    });
    expect(on(inSegment('pro-in-eu'), proInGermany, [eu, proInEu])).toBe(true);
    expect(on(inSegment('pro-in-eu'), proInUs, [eu, proInEu])).toBe(false);
    // The same segment twice in one list is not a cycle.
    const twice = segment({
      name: 'twice',
      conditions: [
        { attribute: 'segment', operator: 'in_segment', value: 'eu' },
        { attribute: 'segment', operator: 'in_segment', value: 'eu' },
      ],
    });
    expect(on(inSegment('twice'), proInGermany, [eu, twice])).toBe(true);
    const loop = segment({
      id: 'loop',
      name: 'loop',
      conditions: [{ attribute: 'segment', operator: 'not_in_segment', value: 'loop' }],
    });
    expect(on(inSegment('loop'), proInGermany, [loop])).toBe(false);
    expect(on(notInSegment('loop'), proInGermany, [loop])).toBe(false);
  });

  it('are known to need segments; other flags are not', () => {
    expect(usesSegments(inSegment('eu'))).toBe(true);
    expect(usesSegments(gated({ attribute: 'country', operator: 'eq', value: 'DE' }))).toBe(false);
  });
});

describe('buildSegment', () => {
  it('fills defaults and refuses what cannot be stored', () => {
    expect(buildSegment({ name: 'eu' })).toMatchObject({
      name: 'eu',
      description: null,
      conditions: [],
      parentSegmentId: null,
      enabled: true,
    });
    expect(() => buildSegment({ name: ' ' })).toThrow('a segment needs a non-empty string name');
    expect(() => buildSegment({ id: 'x', name: 'x', parentSegmentId: 'x' })).toThrow(
      'segment "x": parentSegmentId must not be the segment itself',
    );
    expect(() =>
      buildSegment({
        name: 'bad',
        conditions: [{ attribute: 'segment', operator: 'in_segment', value: '' }],
      }),
    ).toThrow(/the in_segment value of a condition is not supported/);
  });
});
