import { deepCopy } from './deep-copy';

describe('deepCopy', () => {
  it('copies records deeply, giving what structuredClone gives', () => {
    const record = {
      id: 'f-1',
      tags: ['a', 'b'],
      rules: [{ conditions: [{ attribute: 'country', operator: 'in', value: ['US', 'CA'] }] }],
      metadata: { nested: { n: 1, flag: true, none: null } },
      createdAt: new Date('2026-01-01T00:00:00Z'),
      expiresAt: null,
      big: 10n,
    };
    const copy = deepCopy(record);
    expect(copy).toEqual(structuredClone(record));
    expect(copy.rules[0].conditions[0].value).not.toBe(record.rules[0].conditions[0].value);
    expect(copy.createdAt).not.toBe(record.createdAt);

    copy.tags.push('c');
    copy.metadata.nested.n = 2;
    copy.createdAt.setUTCFullYear(1999);
    expect(record.tags).toEqual(['a', 'b']);
    expect(record.metadata.nested.n).toBe(1);
    expect(record.createdAt.getUTCFullYear()).toBe(2026);
  });

  it('keeps an own "__proto__" key as data, never as a prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<
      string,
      unknown
    >;
    const copy = deepCopy(parsed);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('leaves Maps, cycles and uncloneable values to structuredClone', () => {
    const withMap = { m: new Map([['k', 1]]) };
    expect(deepCopy(withMap).m).toEqual(new Map([['k', 1]]));

    const cyclic: { self?: unknown; n: number } = { n: 1 };
    cyclic.self = cyclic;
    const copy = deepCopy(cyclic);
    expect(copy.self).toBe(copy);
    expect(copy).not.toBe(cyclic);

    expect(() => deepCopy({ fn: () => 1 })).toThrow(/could not be cloned/);
  });
});
