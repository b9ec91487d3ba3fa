import type { Environment, EnvironmentFlag } from '../models/environment.model';
import type { FeatureFlag } from '../models/feature-flag.model';
import { withRolloutPercentage } from '../models/scheduled-change.model';
import type { FeatureFlagStorage } from '../storage/feature-flag-storage.interface';

const NONE: readonly EnvironmentFlag[] = [];

/**
 * What evaluation in one environment sees: for a flag, the settings of the environments in its
 * chain (env → parent → …, inactive ones skipped), nearest first. Answered synchronously; a
 * source reads it beforehand.
 */
export interface EnvironmentView {
  settingsFor(flagId: string): readonly EnvironmentFlag[];
}

/**
 * The active environments from `slug` up through the parents, nearest first. A parent that does
 * not exist ends the chain; so does a cycle (each environment is visited once).
 */
function environmentChain(
  slug: string,
  byId: (id: string) => Environment | undefined,
  idBySlug: ReadonlyMap<string, string>,
): Environment[] {
  const chain: Environment[] = [];
  const seen = new Set<string>();
  const first = idBySlug.get(slug);
  for (let environment = first === undefined ? undefined : byId(first); environment;) {
    if (seen.has(environment.id)) break;
    seen.add(environment.id);
    if (environment.isActive) chain.push(environment);
    environment = environment.parentId === null ? undefined : byId(environment.parentId);
  }
  return chain;
}

/**
 * Environments and their flag settings as read together, and the views evaluation takes from
 * them. A view is built once per slug (only slugs of stored environments: bounded).
 */
export class EnvironmentSnapshot {
  private readonly byId: Map<string, Environment>;
  private readonly idBySlug: Map<string, string>;
  private readonly views = new Map<string, EnvironmentView>();

  constructor(
    environments: readonly Environment[],
    private readonly settings: ReadonlyMap<string, readonly EnvironmentFlag[]>,
  ) {
    this.byId = new Map(environments.map((environment) => [environment.id, environment]));
    this.idBySlug = new Map(environments.map((environment) => [environment.slug, environment.id]));
  }

  /** The chain of `slug` (see `environmentChain`). */
  chain(slug: string): Environment[] {
    return environmentChain(slug, (id) => this.byId.get(id), this.idBySlug);
  }

  /** What evaluation in `slug` sees; `undefined` when it names no active environment. */
  view(slug: string): EnvironmentView | undefined {
    let view = this.views.get(slug);
    if (view !== undefined) return view;
    const chain = this.chain(slug);
    if (chain.length === 0) return undefined;
    view = viewOf(chain.map((environment) => this.settings.get(environment.id) ?? NONE));
    this.views.set(slug, view);
    return view;
  }
}

/**
 * Environments through any storage's methods: every environment in one call, then, in parallel,
 * the settings of the chain of `slug` (of every environment without it). `undefined` when the
 * storage keeps no environments.
 */
export async function readEnvironments(
  storage: FeatureFlagStorage,
  slug?: string,
): Promise<EnvironmentSnapshot | undefined> {
  if (typeof storage.getAllEnvironments !== 'function') return undefined;
  if (typeof storage.getEnvironmentFlags !== 'function') return undefined;
  const environments = await storage.getAllEnvironments();
  const snapshot = new EnvironmentSnapshot(environments, new Map());
  const needed = slug === undefined ? environments : snapshot.chain(slug);
  if (needed.length === 0) return snapshot;
  const lists = await Promise.all(
    needed.map((environment) => storage.getEnvironmentFlags!(environment.id)),
  );
  return new EnvironmentSnapshot(
    environments,
    new Map(needed.map((environment, i) => [environment.id, lists[i]])),
  );
}

/** A view over the settings of a chain's environments (nearest first). */
function viewOf(lists: Iterable<Iterable<EnvironmentFlag>>): EnvironmentView {
  // One array per flag, kept: `inEnvironment` recognises it and reuses the flag it derived.
  const byFlag = new Map<string, EnvironmentFlag[]>();
  for (const list of lists) {
    for (const settings of list) {
      let found = byFlag.get(settings.flagId);
      if (!found) byFlag.set(settings.flagId, (found = []));
      found.push(settings);
    }
  }
  return { settingsFor: (flagId) => byFlag.get(flagId) ?? NONE };
}

const derived = new WeakMap<FeatureFlag, { from: readonly EnvironmentFlag[]; flag: FeatureFlag }>();

/**
 * The flag as configured by `settings` (nearest first): each field from the first setting that
 * sets it, else the flag's own. `enabled` switches the flag off (status `inactive`, default off)
 * or on (status `active`, default on), as the scheduled changes `disable` and `enable` do; an
 * archived flag stays archived. `percentage` sets the rollout of its rollout rules.
 * The result is remembered per flag and settings array, so a cached view costs no copy per call.
 */
export function inEnvironment(
  flag: FeatureFlag,
  settings: readonly EnvironmentFlag[],
): FeatureFlag {
  if (settings.length === 0) return flag;
  const known = derived.get(flag);
  if (known !== undefined && known.from === settings) return known.flag;
  const pick = <F extends 'enabled' | 'percentage' | 'rules' | 'variants'>(
    field: F,
  ): EnvironmentFlag[F] | null => {
    for (const own of settings) if (own[field] !== null) return own[field];
    return null;
  };
  const enabled = pick('enabled');
  const percentage = pick('percentage');
  const rules = pick('rules') ?? flag.rules;
  // `enabled` switches the flag as the scheduled changes `enable` / `disable` do.
  const switched =
    enabled === null || flag.status === 'archived'
      ? undefined
      : { status: enabled ? ('active' as const) : ('inactive' as const), defaultEnabled: enabled };
  const result: FeatureFlag = {
    ...flag,
    ...switched,
    rules: percentage === null ? rules : withRolloutPercentage(rules, percentage),
    variants: pick('variants') ?? flag.variants,
  };
  derived.set(flag, { from: settings, flag: result });
  return result;
}
