import {
  buildTimeSchedule,
  type CreateTimeScheduleInput,
  type TimeSchedule,
} from '../models/time-schedule.model';
import { isInWindow } from './time-schedules';

/* What the time-schedule specs share (never part of the build: `*.spec-support.ts`). */

export const schedule = (input: Partial<CreateTimeScheduleInput>): TimeSchedule =>
  buildTimeSchedule({ flagId: 'flag-1', name: 'window', recurrenceType: 'daily', ...input });

/** Whether `subject` is open at each instant, keyed by instant, so a failure names the instant. */
export function openAt(subject: TimeSchedule, instants: string[]): Record<string, boolean> {
  return Object.fromEntries(instants.map((iso) => [iso, isInWindow(subject, new Date(iso))]));
}

/** How many minutes of [from, to) the schedule is open. */
export function openMinutes(subject: TimeSchedule, from: string, to: string): number {
  let open = 0;
  for (let ms = Date.parse(from); ms < Date.parse(to); ms += 60_000) {
    if (isInWindow(subject, new Date(ms))) open++;
  }
  return open;
}
