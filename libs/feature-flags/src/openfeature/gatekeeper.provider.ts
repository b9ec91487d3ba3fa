// Types only (`import type`): @openfeature/server-sdk is an optional peer, so this file, which the
// package index loads, must not require it at runtime. Event names and reasons are its strings.
import type {
  EvaluationContext as OpenFeatureContext,
  Hook,
  JsonValue as OpenFeatureJsonValue,
  Logger,
  Provider,
  ResolutionDetails,
  ServerProviderEvents,
} from '@openfeature/server-sdk';
import { describeError } from '@gatekeeper/common';
import type { ValueKind } from '../evaluation/evaluation-result';
import type { FeatureFlagClient } from '../feature-flag.client';
import type { FlagsChanged } from '../storage/flag-changes';
import { watchFlagChanges } from './flag-changes.watch';
import { toGatekeeperContext, toResolution } from './openfeature.mapping';
import { GatekeeperProviderEvents, PROVIDER_EVENTS } from './provider-events';

/** What the provider last told the SDK about itself (the SDK keeps the authoritative status). */
type ProviderState = 'NOT_READY' | 'READY' | 'STALE' | 'ERROR';

/** The error `initialize()` rejects with when the storage cannot be reached (status ERROR). */
class StorageUnreachableError extends Error {
  /** OpenFeature's GENERAL code: the SDK treats the failure as recoverable (not FATAL). */
  readonly code = 'GENERAL';

  constructor(message: string) {
    super(message);
    this.name = 'StorageUnreachableError';
  }
}

/**
 * An OpenFeature server provider over a `FeatureFlagClient`: `OpenFeature.setProviderAndWait(new
 * GatekeeperProvider(client))`, or the `defaultProvider` of `@openfeature/nestjs-sdk`'s
 * `OpenFeatureModule.forRoot`. Flags resolve through the client's own pipeline (context,
 * storage, engine), so both APIs answer alike; docs/feature-flags/openfeature.md has the mapping.
 *
 * - Context: `targetingKey` and the known attributes (`userId`/`user_id`, `organizationId`,
 *   `tenantId`, `environment`, `appVersion`, `ip`, `userAgent`, `country`) fill Gatekeeper's
 *   fields, the rest its `attributes` (`toGatekeeperContext`).
 * - Status: `initialize()` resolves once the storage answers a health check (READY) and rejects
 *   otherwise (ERROR). Afterwards evaluations tell: answers served from the `localCache` while the
 *   storage fails (reasons CACHED, STALE) emit PROVIDER_STALE, storage failures PROVIDER_ERROR,
 *   and the first fresh answer after either PROVIDER_READY.
 * - Changes: PROVIDER_CONFIGURATION_CHANGED with `flagsChanged` for writes made through the
 *   client's storage and, with `localCache`, for those other instances publish on the Redis
 *   invalidation bus.
 *
 * The provider never closes the client's storage: it belongs to whoever created it.
 */
export class GatekeeperProvider implements Provider {
  readonly metadata = { name: 'gatekeeper' } as const;
  readonly runsOn = 'server' as const;
  readonly hooks: Hook[] = [];
  readonly events = new GatekeeperProviderEvents();

  private state: ProviderState = 'NOT_READY';
  private unwatch: (() => void) | undefined;
  /** Flag ids seen in evaluations, to name the flag of an override change. */
  private readonly keysById = new Map<string, string>();

  constructor(private readonly client: FeatureFlagClient) {}

  /** Starts reporting changes, then checks that the storage can be reached. */
  async initialize(): Promise<void> {
    this.unwatch ??= watchFlagChanges(this.client.storage, (change) => this.changed(change));
    let healthy: boolean;
    try {
      healthy = await this.client.storage.healthCheck();
    } catch (error) {
      this.state = 'ERROR';
      throw new StorageUnreachableError(
        `feature flag storage health check failed: ${describeError(error)}`,
      );
    }
    if (!healthy) {
      this.state = 'ERROR';
      throw new StorageUnreachableError('feature flag storage is not reachable');
    }
    this.state = 'READY';
  }

  /** Stops reporting changes; the storage stays open (it is not the provider's). */
  async onClose(): Promise<void> {
    this.unwatch?.();
    this.unwatch = undefined;
    this.state = 'NOT_READY';
  }

  resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: OpenFeatureContext,
    _logger?: Logger,
  ): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, defaultValue, 'boolean', context);
  }

  resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: OpenFeatureContext,
    _logger?: Logger,
  ): Promise<ResolutionDetails<string>> {
    return this.resolve(flagKey, defaultValue, 'string', context);
  }

  resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: OpenFeatureContext,
    _logger?: Logger,
  ): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, defaultValue, 'number', context);
  }

  resolveObjectEvaluation<T extends OpenFeatureJsonValue>(
    flagKey: string,
    defaultValue: T,
    context: OpenFeatureContext,
    _logger?: Logger,
  ): Promise<ResolutionDetails<T>> {
    return this.resolve(flagKey, defaultValue, 'object', context);
  }

  private async resolve<T>(
    flagKey: string,
    defaultValue: T,
    kind: ValueKind,
    context: OpenFeatureContext | undefined,
  ): Promise<ResolutionDetails<T>> {
    const { details, flag } = await this.client.resolveWithFlag(
      flagKey,
      defaultValue,
      kind,
      toGatekeeperContext(context),
    );
    if (flag !== null && typeof flag.id === 'string' && flag.id !== '') {
      this.keysById.set(flag.id, flag.key);
    }
    // Status follows what the storage did for this answer.
    if (details.reason === 'CACHED' || details.reason === 'STALE') {
      this.moveTo('STALE', 'serving flags from the local cache: the storage is failing');
    } else if (details.errorCode === 'GENERAL') {
      this.moveTo('ERROR', details.errorMessage ?? 'the feature flag storage failed');
    } else if (flag !== null && (this.state === 'STALE' || this.state === 'ERROR')) {
      // A flag read afresh (a cached "no such flag" says nothing about the storage).
      this.moveTo('READY');
    }
    return toResolution(details, flag, defaultValue);
  }

  private moveTo(state: 'READY' | 'STALE' | 'ERROR', message?: string): void {
    if (this.state === state) return;
    this.state = state;
    const event =
      PROVIDER_EVENTS[state === 'READY' ? 'Ready' : state === 'STALE' ? 'Stale' : 'Error'];
    this.events.emit(event as ServerProviderEvents, message === undefined ? {} : { message });
  }

  private changed(change: FlagsChanged): void {
    let flagsChanged: string[] | undefined;
    if (change.kind === 'flag') flagsChanged = [change.key];
    else if (change.kind === 'override') {
      const key = this.keysById.get(change.flagId);
      flagsChanged = key === undefined ? undefined : [key];
    }
    this.events.emit(PROVIDER_EVENTS.ConfigurationChanged as ServerProviderEvents, {
      // Without `flagsChanged`, any flag may have changed (an override of a flag this provider
      // has not evaluated yet, or a reconnected invalidation bus).
      ...(flagsChanged && { flagsChanged }),
      message:
        change.kind === 'all'
          ? 'the flag cache was reset: any flag may have changed'
          : 'feature flags changed',
    });
  }
}
