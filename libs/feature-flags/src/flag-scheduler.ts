import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { describeError, type Clock } from '@gatekeeper/common';
import { FEATURE_FLAG_STORAGE, FEATURE_FLAGS_CLOCK } from './feature-flags.constants';
import { FEATURE_FLAGS_MODULE_OPTIONS } from './feature-flags.module-definition';
import {
  DEFAULT_SCHEDULER_INTERVAL,
  type FeatureFlagsModuleOptions,
} from './feature-flags.options';
import type { FeatureFlag } from './models/feature-flag.model';
import { isDue } from './models/scheduled-change.model';
import type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';
import { LocalCacheFeatureFlagStorage } from './storage/local-cache.storage';

/** A due item, and how to apply it. */
interface DueItem {
  description: string;
  scheduledAt: Date;
  order: number;
  apply(now: Date): Promise<FeatureFlag | null>;
}

/**
 * Applies due scheduled changes and rollout phases. It starts with the application (missed
 * changes first, in due order) and checks again every `scheduler.interval` seconds. Any number
 * of instances may run it: the storage's `applyScheduledChange` / `applyRolloutPhase` claim each
 * item atomically, so each is applied exactly once, and the write invalidates every cache like
 * any flag write. An item that fails stays pending and is tried again at the next check.
 */
@Injectable()
export class FlagScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FlagScheduler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    @Inject(FEATURE_FLAG_STORAGE) private readonly storage: FeatureFlagStorage,
    @Inject(FEATURE_FLAGS_MODULE_OPTIONS) private readonly options: FeatureFlagsModuleOptions,
    @Inject(FEATURE_FLAGS_CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    const { changes, phases } = this.kept();
    if (this.options.scheduler?.enabled === false || (!changes && !phases)) return;
    const seconds = this.options.scheduler?.interval ?? DEFAULT_SCHEDULER_INTERVAL;
    void this.runDue();
    this.timer = setInterval(() => void this.runDue(), seconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Applies every item due now, oldest first; resolves with how many this call applied (items
   * another instance got first are not counted). Never rejects: failures are logged. A call
   * while one is running joins it.
   */
  runDue(): Promise<number> {
    this.running ??= this.applyDue().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * What the storage keeps (a custom storage may have neither): asked of the storage behind the
   * local cache, whose methods exist whatever it wraps.
   */
  private kept(): { changes: boolean; phases: boolean } {
    const storage =
      this.storage instanceof LocalCacheFeatureFlagStorage ? this.storage.inner : this.storage;
    return {
      changes:
        typeof storage.getScheduledChanges === 'function' &&
        typeof storage.applyScheduledChange === 'function',
      phases:
        typeof storage.getRolloutPhases === 'function' &&
        typeof storage.applyRolloutPhase === 'function',
    };
  }

  private async applyDue(): Promise<number> {
    let due: DueItem[];
    try {
      due = await this.dueItems(new Date(this.clock.now()));
    } catch (error) {
      this.logger.warn(`could not read scheduled changes: ${describeError(error)}`);
      return 0;
    }
    let applied = 0;
    for (const item of due) {
      try {
        const flag = await item.apply(new Date(this.clock.now()));
        if (flag === null) continue;
        applied++;
        this.logger.log(`applied ${item.description} to flag "${flag.key}"`);
      } catch (error) {
        this.logger.warn(`could not apply ${item.description}: ${describeError(error)}`);
      }
    }
    return applied;
  }

  private async dueItems(now: Date): Promise<DueItem[]> {
    const storage = this.storage;
    const kept = this.kept();
    const [changes, phases] = await Promise.all([
      kept.changes ? storage.getScheduledChanges!(undefined, true) : [],
      kept.phases ? storage.getRolloutPhases!() : [],
    ]);
    const due: DueItem[] = [];
    for (const change of changes) {
      if (!isDue(change, now)) continue;
      due.push({
        description: `scheduled change ${change.id} (${change.changeType})`,
        scheduledAt: change.scheduledAt,
        order: 0,
        apply: (at) => storage.applyScheduledChange!(change.id, at),
      });
    }
    for (const phase of phases) {
      if (!isDue(phase, now)) continue;
      due.push({
        description: `rollout phase ${phase.phaseNumber} (${phase.targetPercentage} %)`,
        scheduledAt: phase.scheduledAt,
        order: phase.phaseNumber,
        apply: (at) => storage.applyRolloutPhase!(phase.id, at),
      });
    }
    // In due order; phases due at the same time in their own order.
    return due.sort(
      (a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime() || a.order - b.order,
    );
  }
}
