import type { Environment, EnvironmentFlag } from './environment.model';
import type { RolloutPhase, ScheduledFlagChange } from './scheduled-change.model';
import type { Segment } from './segment.model';
import type { TimeSchedule } from './time-schedule.model';

/*
 * The order every backend lists records in, applied in process: SQL collations differ between
 * dialects, and Redis sets have no order. Text compares by UTF-16 code unit.
 */

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** @internal By name. */
export function sortByName(segments: Segment[]): Segment[] {
  return segments.sort((a, b) => compareText(a.name, b.name));
}

/** @internal By slug. */
export function sortBySlug(environments: Environment[]): Environment[] {
  return environments.sort((a, b) => compareText(a.slug, b.slug));
}

/** @internal By environment id, then flag id. */
export function sortEnvironmentFlags(settings: EnvironmentFlag[]): EnvironmentFlag[] {
  return settings.sort(
    (a, b) => compareText(a.environmentId, b.environmentId) || compareText(a.flagId, b.flagId),
  );
}

/** @internal By due time, then id. */
export function sortScheduledChanges(changes: ScheduledFlagChange[]): ScheduledFlagChange[] {
  return changes.sort(
    (a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime() || compareText(a.id, b.id),
  );
}

/** @internal By flag id, then phase number. */
export function sortRolloutPhases(phases: RolloutPhase[]): RolloutPhase[] {
  return phases.sort((a, b) => compareText(a.flagId, b.flagId) || a.phaseNumber - b.phaseNumber);
}

/** @internal By flag id, then name, then id. */
export function sortTimeSchedules(schedules: TimeSchedule[]): TimeSchedule[] {
  return schedules.sort(
    (a, b) =>
      compareText(a.flagId, b.flagId) || compareText(a.name, b.name) || compareText(a.id, b.id),
  );
}
