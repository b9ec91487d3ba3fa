import type { ExecutionContext } from '@nestjs/common';

/**
 * Decorator metadata of a route never changes once the application runs, so guards read it once
 * per (controller, handler) instead of on every request: guards run on the hot path.
 */
export class RouteMetadataCache<T> {
  private readonly byHandler = new WeakMap<object, WeakMap<object, T>>();

  /** `read` runs once per (controller, handler), on its first request. */
  constructor(private readonly read: (context: ExecutionContext) => T) {}

  get(context: ExecutionContext): T {
    const handler = context.getHandler();
    let byClass = this.byHandler.get(handler);
    if (!byClass) {
      byClass = new WeakMap();
      this.byHandler.set(handler, byClass);
    }
    const controller = context.getClass();
    let value = byClass.get(controller);
    if (value === undefined) {
      value = this.read(context);
      byClass.set(controller, value);
    }
    return value;
  }
}
