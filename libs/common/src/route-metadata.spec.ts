import type { ExecutionContext } from '@nestjs/common';
import { RouteMetadataCache } from './route-metadata';

function contextOf(controller: object, handler: object): ExecutionContext {
  return { getClass: () => controller, getHandler: () => handler } as unknown as ExecutionContext;
}

describe('RouteMetadataCache', () => {
  it('reads each (controller, handler) once, and keeps apart controllers sharing a handler', () => {
    class Base {
      list() {}
    }
    class Admin extends Base {}
    const other = () => undefined;
    const reads: string[] = [];
    const cache = new RouteMetadataCache((context) => {
      const name = `${(context.getClass() as { name: string }).name}.${(context.getHandler() as { name: string }).name}`;
      reads.push(name);
      return name;
    });

    for (let i = 0; i < 3; i++) {
      expect(cache.get(contextOf(Base, Base.prototype.list))).toBe('Base.list');
      expect(cache.get(contextOf(Admin, Base.prototype.list))).toBe('Admin.list');
      expect(cache.get(contextOf(Admin, other))).toBe('Admin.other');
    }
    expect(reads).toEqual(['Base.list', 'Admin.list', 'Admin.other']);
  });
});
