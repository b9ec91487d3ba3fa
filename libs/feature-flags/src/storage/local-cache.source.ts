import { isPromiseLike, type GatekeeperMetrics, type MaybePromise } from '@gatekeeper/common';
import { copyContext, overrideEntityId } from '../evaluation/evaluation-context';
import type { EnvironmentView } from '../evaluation/environments';
import type { EvaluationContext } from '../models/evaluation.model';
import {
  OVERRIDE_ENTITY_TYPES,
  type FeatureFlag,
  type FlagOverride,
  type OverrideEntityType,
} from '../models/feature-flag.model';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import {
  inView,
  worse,
  type FlagInputs,
  type FlagRead,
  type FlagSource,
  type Freshness,
} from './flag-source';
import { LocalCacheEntries, type Entry } from './local-cache.entries';
import { LocalCacheSnapshots, type OverriddenFlags } from './local-cache.snapshots';
import type { OverrideSlots } from './override-index';
import type { CachedRead } from './snapshot-cache';

/**
 * Inputs that depend on nothing in the context but its environment (a flag without overrides,
 * missing or inactive), kept on the flag's entry for one environment (or none) while the
 * snapshots they carry hold.
 */
interface ContextFree {
  environment: string | undefined;
  inputs: FlagInputs;
  generation: number;
  until: number;
}

/**
 * The read side of `LocalCacheFeatureFlagStorage`: the inputs of an evaluation from the cache's
 * entries (flags, override lookups) and snapshots (segments, schedules, environments, which flags
 * have overrides), read through from the wrapped storage.
 * - Fresh entries answer synchronously. From the first entry that is not, an evaluation goes on
 *   asynchronously, keeping what it found.
 * - The inputs of a flag without overrides are the same for every context: worked out once, they
 *   are kept on the flag's entry while nothing they were made of changes.
 */
export class LocalCacheFlagSource implements FlagSource {
  readonly entries: LocalCacheEntries;
  /** Every segment, every time schedule, every environment, which flags have overrides. */
  readonly snapshots: LocalCacheSnapshots;

  constructor(
    private readonly inner: FeatureFlagStorage,
    ttlMs: number,
    maxEntries: number,
    private readonly now: () => number,
    metrics?: GatekeeperMetrics,
  ) {
    const entries = new LocalCacheEntries(inner, ttlMs, maxEntries, now, metrics);
    this.entries = entries;
    this.snapshots = new LocalCacheSnapshots(inner, ttlMs, now, (operation) =>
      entries.track(operation),
    );
  }

  read(key: string, context: EvaluationContext): MaybePromise<FlagInputs> {
    const now = this.now();
    const entries = this.entries;
    const entry = entries.flags.get(key);
    const slug = context.environment;
    if (entry !== undefined && entry.expiresAt > now && !entries.failing) {
      const known = entry.derived as ContextFree | undefined;
      if (
        known !== undefined &&
        known.environment === slug &&
        known.generation === this.snapshots.generation &&
        known.until > now
      ) {
        entry.used = true;
        entries.countFlag('hit');
        return known.inputs;
      }
    }
    const environment = this.snapshots.environment(slug, now, entries.hit());
    if (entry !== undefined && entry.expiresAt > now && !isPromiseLike(environment)) {
      entry.used = true;
      entries.countFlag('hit');
      const flag = entry.value as FeatureFlag | null;
      const freshness = worse(entries.hit(), environment?.freshness);
      const inputs = this.complete(flag, freshness, environment, context, now);
      this.keepIfContextFree(entry, inputs, slug, environment !== undefined, now);
      return inputs;
    }
    const snapshot = copyContext(context);
    // Fresh, the entry still serves: only the environment had to be read.
    const flag = entries.lookup<FeatureFlag | null>(entry, [key], false);
    return Promise.all([flag, environment]).then(([read, inEnvironment]) =>
      this.complete(
        read.value,
        worse(read.freshness, inEnvironment?.freshness),
        inEnvironment,
        snapshot,
        this.now(),
      ),
    );
  }

  readOverrides(read: FlagRead, context: EvaluationContext): MaybePromise<FlagInputs> {
    const environment = read.environment && { value: read.environment, freshness: read.freshness };
    return this.complete(read.flag, read.freshness, environment, context, this.now());
  }

  /** One storage call for every key not fresh here; if it fails, stale entries or the failure. */
  async readFlags(
    keys: readonly string[],
    context: EvaluationContext,
  ): Promise<Map<string, FlagRead>> {
    const [environment, flags] = await Promise.all([
      this.snapshots.environment(context.environment, this.now(), this.entries.hit()),
      this.entries.readFlags(keys),
    ]);
    const reads = new Map<string, FlagRead>();
    for (const [key, { value: flag, freshness }] of flags) {
      if (flag === null) continue;
      reads.set(key, {
        flag,
        freshness: worse(freshness, environment?.freshness),
        ...(environment?.value !== undefined && { environment: environment.value }),
      });
    }
    return reads;
  }

  /** Never cached: it answers "which flags exist", and the health indicator relies on it. */
  async readActiveFlags(context: EvaluationContext): Promise<FlagRead[]> {
    const [flags, environment] = await Promise.all([
      this.entries.track(() => this.inner.getAllActiveFlags()),
      this.snapshots.environment(context.environment, this.now(), this.entries.hit()),
    ]);
    return flags.map((flag) => ({
      flag,
      freshness: worse('fresh', environment?.freshness),
      ...(environment?.value !== undefined && { environment: environment.value }),
    }));
  }

  /** Drops a flag, and with its id the flag's override lookups. */
  invalidateFlag(key: string, id?: string): void {
    this.entries.invalidateFlag(key, id);
  }

  invalidateOverride(flagId: string, entityType: OverrideEntityType, entityId: string): void {
    this.entries.invalidateOverride(flagId, entityType, entityId);
    this.snapshots.overrideChanged(flagId);
  }

  /** Everything read again at its next use, kept meanwhile to serve stale if the storage fails. */
  expireAll(): void {
    this.snapshots.expireAll();
    this.entries.expireAll();
  }

  invalidateAll(): void {
    this.snapshots.invalidateAll();
    this.entries.invalidateAll();
  }

  /** Keeps `inputs` on the flag's entry when every context in `slug` gets the same ones. */
  private keepIfContextFree(
    entry: Entry,
    inputs: MaybePromise<FlagInputs>,
    slug: string | undefined,
    inEnvironment: boolean,
    now: number,
  ): void {
    if (isPromiseLike(inputs) || inputs.freshness !== 'fresh') return;
    const until = this.snapshots.contextFreeUntil(inputs.flag, inEnvironment, now);
    if (until > now) {
      const generation = this.snapshots.generation;
      const kept: ContextFree = { environment: slug, inputs, generation, until };
      entry.derived = kept;
    }
  }

  /** The inputs of `flag` in the environment: overrides, then segments and schedules. */
  private complete(
    stored: FeatureFlag | null,
    freshness: Freshness,
    environment: CachedRead<EnvironmentView | undefined> | undefined,
    context: EvaluationContext,
    now: number,
  ): MaybePromise<FlagInputs> {
    const flag = stored && inView(stored, environment?.value);
    return this.withSnapshots(this.overridesOf(flag, freshness, context, now), now);
  }

  private withSnapshots(inputs: MaybePromise<FlagInputs>, now: number): MaybePromise<FlagInputs> {
    if (isPromiseLike(inputs)) {
      return Promise.resolve(inputs).then((complete) => this.withSnapshots(complete, this.now()));
    }
    return this.snapshots.complete(inputs, now, this.entries.hit());
  }

  /**
   * The overrides `context` selects for `flag`: none without a lookup when the flag has none (most
   * flags), else synchronously while their lookups are fresh.
   */
  private overridesOf(
    flag: FeatureFlag | null,
    freshness: Freshness,
    context: EvaluationContext,
    now: number,
  ): MaybePromise<FlagInputs> {
    if (flag === null || flag.status !== 'active') return { flag, overrides: undefined, freshness };
    const overridden = this.snapshots.overriddenFlags(now, this.entries.hit());
    if (isPromiseLike(overridden)) {
      const own = copyContext(context);
      return Promise.resolve(overridden).then((read) =>
        this.lookUpOverrides(flag, read, freshness, own, this.now()),
      );
    }
    return this.lookUpOverrides(flag, overridden, freshness, context, now);
  }

  private lookUpOverrides(
    flag: FeatureFlag,
    overridden: CachedRead<OverriddenFlags>,
    known: Freshness,
    context: EvaluationContext,
    now: number,
  ): MaybePromise<FlagInputs> {
    const freshness = worse(known, overridden.freshness);
    let found: FlagOverride[] | undefined;
    if (overridden.value === null || overridden.value.has(flag.id)) {
      const entities = this.entries.overrides.entitiesOf(flag.id);
      let slotsId: string | undefined;
      let slots: OverrideSlots<Entry> | undefined;
      for (let i = 0; i < OVERRIDE_ENTITY_TYPES.length; i++) {
        const entityId = overrideEntityId(context, OVERRIDE_ENTITY_TYPES[i]);
        if (entityId === undefined) continue;
        // The user id is usually the targeting key too: one read of its slots serves both.
        if (entityId !== slotsId) {
          slots = entities?.get(entityId);
          slotsId = entityId;
        }
        const entry = slots?.[i];
        if (entry === undefined || entry.expiresAt <= now) {
          return this.readOverridesFrom(i, entry, flag, freshness, context, found);
        }
        entry.used = true;
        if (entry.value !== null) (found ??= []).push(entry.value as FlagOverride);
      }
    }
    return { flag, overrides: found, freshness };
  }

  /** From the first override lookup that was not fresh (`first`, `missed`) on, in parallel. */
  private async readOverridesFrom(
    first: number,
    missed: Entry | undefined,
    flag: FeatureFlag,
    freshness: Freshness,
    context: EvaluationContext,
    found: FlagOverride[] = [],
  ): Promise<FlagInputs> {
    const reads: Array<Promise<CachedRead<FlagOverride | null>>> = [];
    for (let i = first; i < OVERRIDE_ENTITY_TYPES.length; i++) {
      const entityType = OVERRIDE_ENTITY_TYPES[i];
      const entityId = overrideEntityId(context, entityType);
      if (entityId === undefined) continue;
      const entry =
        i === first ? missed : this.entries.overrides.get(flag.id, entityType, entityId);
      const lookup = this.entries.lookup<FlagOverride | null>(
        entry,
        [flag.id, entityType, entityId],
        true,
      );
      reads.push(Promise.resolve(lookup));
    }
    let worst = freshness;
    for (const read of await Promise.all(reads)) {
      if (read.value !== null) found.push(read.value);
      if (read.freshness === 'stale' || worst === 'fresh') worst = read.freshness;
    }
    return { flag, overrides: found.length > 0 ? found : undefined, freshness: worst };
  }
}
