import type { ExecutionContext } from '@nestjs/common';

/**
 * Decorator metadata of a route never changes once the application runs, so guards read it once
 * per (controller, handler) instead of on every request: guards run on the hot path.
 */
export class RouteMetadataCache<T> {
  private readonly byHandler = new WeakMap<object, WeakMap<object, T>>();

  get(context: ExecutionContext, read: () => T): T {
    const handler = context.getHandler();
    let byClass = this.byHandler.get(handler);
    if (!byClass) {
      byClass = new WeakMap();
      this.byHandler.set(handler, byClass);
    }
    const controller = context.getClass();
    let value = byClass.get(controller);
    if (value === undefined) {
      value = read();
      byClass.set(controller, value);
    }
    return value;
  }
}
