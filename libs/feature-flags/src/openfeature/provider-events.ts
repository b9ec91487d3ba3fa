// Types only: this file must load without @openfeature/server-sdk installed (an optional peer).
import type {
  AnyProviderEvent,
  EventContext,
  EventHandler,
  Logger,
  ProviderEventEmitter,
  ServerProviderEvents,
} from '@openfeature/server-sdk';

/**
 * The event names of OpenFeature's `ServerProviderEvents`, as the strings they are: the SDK's
 * enum is a runtime value, and this package must not need the SDK at runtime.
 */
export const PROVIDER_EVENTS = {
  Ready: 'PROVIDER_READY',
  Error: 'PROVIDER_ERROR',
  ConfigurationChanged: 'PROVIDER_CONFIGURATION_CHANGED',
  Stale: 'PROVIDER_STALE',
} as const satisfies Record<keyof typeof ServerProviderEvents, `${ServerProviderEvents}`>;

/**
 * The provider's event emitter, as the SDK expects one (`ProviderEventEmitter`): handlers run
 * synchronously, in the order they were added; a handler that throws or rejects is logged and
 * does not stop the others. Written here rather than taken from the SDK so that nothing of the
 * SDK is loaded at runtime.
 */
export class GatekeeperProviderEvents implements ProviderEventEmitter<ServerProviderEvents> {
  private readonly handlers = new Map<string, EventHandler[]>();
  private logger: Logger | undefined;

  emit(eventType: ServerProviderEvents, context?: EventContext): void {
    for (const handler of [...(this.handlers.get(eventType) ?? [])]) {
      try {
        const result = handler(context as Parameters<EventHandler>[0]);
        if (result instanceof Promise) result.catch((error: unknown) => this.report(error));
      } catch (error) {
        this.report(error);
      }
    }
  }

  addHandler(eventType: AnyProviderEvent, handler: EventHandler): void {
    const handlers = this.handlers.get(eventType) ?? [];
    handlers.push(handler);
    this.handlers.set(eventType, handlers);
  }

  removeHandler(eventType: AnyProviderEvent, handler: EventHandler): void {
    const handlers = this.handlers.get(eventType);
    const index = handlers?.indexOf(handler) ?? -1;
    if (index >= 0) handlers!.splice(index, 1);
  }

  removeAllHandlers(eventType?: AnyProviderEvent): void {
    if (eventType === undefined) this.handlers.clear();
    else this.handlers.delete(eventType);
  }

  getHandlers(eventType: AnyProviderEvent): EventHandler[] {
    return [...(this.handlers.get(eventType) ?? [])];
  }

  setLogger(logger: Logger): this {
    this.logger = logger;
    return this;
  }

  private report(error: unknown): void {
    this.logger?.error('OpenFeature event handler failed:', error);
  }
}
