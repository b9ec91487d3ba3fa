import { InvalidFlagError } from '../storage/storage.errors';
import { buildTimeSchedule, type CreateTimeScheduleInput } from './time-schedule.model';

const daily: CreateTimeScheduleInput = {
  flagId: 'flag-1',
  name: 'office hours',
  recurrenceType: 'daily',
  startTime: '09:00',
  endTime: '17:00',
};

/** The error `buildTimeSchedule(input)` throws. */
function refusal(input: unknown): InvalidFlagError {
  try {
    buildTimeSchedule(input as CreateTimeScheduleInput);
  } catch (error) {
    if (error instanceof InvalidFlagError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('buildTimeSchedule', () => {
  const now = new Date('2026-06-01T00:00:00Z');

  it('fills the id, the defaults and the timestamps', () => {
    expect(buildTimeSchedule(daily, now)).toEqual({
      id: expect.any(String),
      flagId: 'flag-1',
      name: 'office hours',
      recurrenceType: 'daily',
      startTime: '09:00',
      endTime: '17:00',
      daysOfWeek: null,
      daysOfMonth: null,
      cronExpression: null,
      timezone: 'UTC',
      enabled: true,
      createdAt: now,
      updatedAt: now,
    });
  });

  it('keeps a given id and createdAt, and copies the days in order', () => {
    const createdAt = new Date('2025-01-01T00:00:00Z');
    const days = [4, 0, 2];
    const weekly = buildTimeSchedule(
      {
        ...daily,
        id: 'schedule-1',
        createdAt,
        recurrenceType: 'weekly',
        daysOfWeek: days,
        timezone: 'Europe/Berlin',
        enabled: false,
      },
      now,
    );
    days.push(5);
    expect(weekly).toMatchObject({
      id: 'schedule-1',
      createdAt,
      updatedAt: now,
      daysOfWeek: [0, 2, 4],
      timezone: 'Europe/Berlin',
      enabled: false,
    });
  });

  it('accepts monthly and cron schedules and 24:00 as an end', () => {
    expect(
      buildTimeSchedule({
        ...daily,
        recurrenceType: 'monthly',
        daysOfMonth: [31, 1],
        endTime: '24:00',
      }),
    ).toMatchObject({ daysOfMonth: [1, 31], endTime: '24:00' });
    expect(
      buildTimeSchedule({
        flagId: 'flag-1',
        name: 'working hours',
        recurrenceType: 'cron',
        cronExpression: '* 9-17 * * MON-FRI',
        timezone: 'America/New_York',
      }),
    ).toMatchObject({ cronExpression: '* 9-17 * * MON-FRI', startTime: null, endTime: null });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['an empty name', { name: ' ' }, 'name', /non-empty/],
    ['a control character in the name', { name: 'a\u0007' }, 'name', /control/],
    ['an empty flag id', { flagId: '' }, 'flagId', /must not be empty/],
    ['a missing flag id', { flagId: undefined }, 'flagId', /must be a string/],
    ['an unknown recurrence', { recurrenceType: 'hourly' }, 'recurrenceType', /daily, weekly/],
    ['a missing start', { startTime: undefined }, 'startTime', /HH:MM/],
    ['a start without leading zero', { startTime: '9:00' }, 'startTime', /00:00 to 23:59/],
    ['24:00 as a start', { startTime: '24:00' }, 'startTime', /HH:MM/],
    ['seconds in a start', { startTime: '09:00:00' }, 'startTime', /HH:MM/],
    ['a missing end', { endTime: null }, 'endTime', /HH:MM/],
    ['minute 60', { endTime: '12:60' }, 'endTime', /00:00 to 24:00/],
    ['days of the week on a daily schedule', { daysOfWeek: [0] }, 'daysOfWeek', /not used/],
    [
      'a cron expression on a daily schedule',
      { cronExpression: '* * * * *' },
      'cronExpression',
      /not used/,
    ],
    ['an unknown time zone', { timezone: 'Mars/Olympus_Mons' }, 'timezone', /IANA/],
    ['a time zone that is not a string', { timezone: 1 }, 'timezone', /string/],
    ['a non-boolean enabled', { enabled: 'yes' }, 'enabled', /boolean/],
  ])('refuses %s', (_, fields, field, message) => {
    const error = refusal({ ...daily, ...fields });
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
    expect(error.message).toContain('time schedule');
  });

  it.each<[string, unknown, string]>([
    ['no days', undefined, 'daysOfWeek'],
    ['an empty list', [], 'daysOfWeek'],
    ['a day past Sunday', [1, 7], 'daysOfWeek.1'],
    ['a negative day', [-1], 'daysOfWeek.0'],
    ['a fraction', [1.5], 'daysOfWeek.0'],
    ['a day given twice', [3, 3], 'daysOfWeek.1'],
    ['a day as a string', ['1'], 'daysOfWeek.0'],
  ])('refuses a weekly schedule with %s', (_, daysOfWeek, field) => {
    expect(refusal({ ...daily, recurrenceType: 'weekly', daysOfWeek }).field).toBe(field);
  });

  it.each<[string, unknown, string]>([
    ['no days', null, 'daysOfMonth'],
    ['day 0', [0], 'daysOfMonth.0'],
    ['day 32', [1, 32], 'daysOfMonth.1'],
  ])('refuses a monthly schedule with %s', (_, daysOfMonth, field) => {
    expect(refusal({ ...daily, recurrenceType: 'monthly', daysOfMonth }).field).toBe(field);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['no expression', {}, 'cronExpression', /must be a string/],
    [
      'an expression that is not cron',
      { cronExpression: 'every day' },
      'cronExpression',
      /5-field/,
    ],
    ['minute 60', { cronExpression: '60 * * * *' }, 'cronExpression', /5-field/],
    ['a seconds field', { cronExpression: '0 * * * * *' }, 'cronExpression', /5-field/],
    ['a start time', { cronExpression: '* * * * *', startTime: '09:00' }, 'startTime', /not used/],
    ['an end time', { cronExpression: '* * * * *', endTime: '17:00' }, 'endTime', /not used/],
    [
      'days of the month',
      { cronExpression: '* * * * *', daysOfMonth: [1] },
      'daysOfMonth',
      /not used/,
    ],
  ])('refuses a cron schedule with %s', (_, fields, field, message) => {
    const error = refusal({ flagId: 'flag-1', name: 'cron', recurrenceType: 'cron', ...fields });
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});
