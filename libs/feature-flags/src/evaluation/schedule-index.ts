import type { TimeSchedule } from '../models/time-schedule.model';

/** The time schedules an evaluation can see, by flag id, answered synchronously. */
export interface ScheduleLookup {
  /** The flag's schedules; `undefined` when it has none. */
  of(flagId: string): readonly TimeSchedule[] | undefined;
}

/** A lookup over schedules read together (`getTimeSchedules()`). */
export class ScheduleIndex implements ScheduleLookup {
  private readonly byFlag = new Map<string, TimeSchedule[]>();

  constructor(schedules: Iterable<TimeSchedule>) {
    for (const schedule of schedules) {
      const list = this.byFlag.get(schedule.flagId);
      if (list) list.push(schedule);
      else this.byFlag.set(schedule.flagId, [schedule]);
    }
  }

  of(flagId: string): readonly TimeSchedule[] | undefined {
    return this.byFlag.get(flagId);
  }
}

/** What a storage without time schedules answers: no flag has any. */
export const NO_SCHEDULES: ScheduleLookup = { of: () => undefined };
