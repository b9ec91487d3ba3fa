import type { ExecutionContext } from '@nestjs/common';

/** What was read for one handler in one controller; a handler inherited by others links theirs. */
interface RouteEntry<T> {
  controller: object;
  value: T;
  next: RouteEntry<T> | undefined;
}

/**
 * Decorator metadata of a route never changes once the application runs, so guards read it once
 * per (controller, handler) instead of on every request: guards run on the hot path, where this
 * is one WeakMap lookup (a handler almost always belongs to one controller).
 */
export class RouteMetadataCache<T> {
  private readonly byHandler = new WeakMap<object, RouteEntry<T>>();

  /** `read` runs once per (controller, handler), on its first request. */
  constructor(private readonly read: (context: ExecutionContext) => T) {}

  get(context: ExecutionContext): T {
    const handler = context.getHandler();
    const controller = context.getClass();
    const first = this.byHandler.get(handler);
    for (let entry = first; entry !== undefined; entry = entry.next) {
      if (entry.controller === controller) return entry.value;
    }
    const value = this.read(context);
    this.byHandler.set(handler, { controller, value, next: first });
    return value;
  }
}
