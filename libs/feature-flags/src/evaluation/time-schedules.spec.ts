import type { TimeSchedule } from '../models/time-schedule.model';
import { isInWindow, schedulesAllow } from './time-schedules';
import { openAt, openMinutes, schedule } from './time-schedules.spec-support';

// Time zones and daylight saving time: time-schedules.zones.spec.ts.
// 2026-06-01 is a Monday, 2026-06-05 a Friday.
describe('isInWindow', () => {
  describe('daily', () => {
    it('includes the start and excludes the end', () => {
      const office = schedule({ startTime: '09:00', endTime: '17:00' });
      expect(
        openAt(office, [
          '2026-06-01T08:59:59Z',
          '2026-06-01T09:00:00Z',
          '2026-06-01T16:59:59Z',
          '2026-06-01T17:00:00Z',
        ]),
      ).toEqual({
        '2026-06-01T08:59:59Z': false,
        '2026-06-01T09:00:00Z': true,
        '2026-06-01T16:59:59Z': true,
        '2026-06-01T17:00:00Z': false,
      });
    });

    it('crosses midnight when the end comes before the start', () => {
      const night = schedule({ startTime: '22:00', endTime: '06:00' });
      expect(
        openAt(night, [
          '2026-06-01T21:59:00Z',
          '2026-06-01T23:00:00Z',
          '2026-06-02T05:59:00Z',
          '2026-06-02T06:00:00Z',
          '2026-06-02T12:00:00Z',
        ]),
      ).toEqual({
        '2026-06-01T21:59:00Z': false,
        '2026-06-01T23:00:00Z': true,
        '2026-06-02T05:59:00Z': true,
        '2026-06-02T06:00:00Z': false,
        '2026-06-02T12:00:00Z': false,
      });
    });

    it('ends at midnight with 24:00 and is always open when start equals end', () => {
      const lateEvening = schedule({ startTime: '22:00', endTime: '24:00' });
      expect(isInWindow(lateEvening, new Date('2026-06-01T23:59:00Z'))).toBe(true);
      expect(isInWindow(lateEvening, new Date('2026-06-02T00:00:00Z'))).toBe(false);
      const allDay = schedule({ startTime: '07:30', endTime: '07:30' });
      expect(openMinutes(allDay, '2026-06-01T00:00:00Z', '2026-06-03T00:00:00Z')).toBe(2 * 1440);
    });
  });

  describe('weekly', () => {
    it('opens on the listed days, 0 being Monday', () => {
      const mondays = schedule({
        recurrenceType: 'weekly',
        startTime: '09:00',
        endTime: '17:00',
        daysOfWeek: [0],
      });
      expect(
        openAt(mondays, ['2026-05-31T12:00:00Z', '2026-06-01T12:00:00Z', '2026-06-02T12:00:00Z']),
      ).toEqual({
        '2026-05-31T12:00:00Z': false,
        '2026-06-01T12:00:00Z': true,
        '2026-06-02T12:00:00Z': false,
      });
    });

    it('checks the day a window crossing midnight started on', () => {
      const fridayNight = schedule({
        recurrenceType: 'weekly',
        startTime: '22:00',
        endTime: '02:00',
        daysOfWeek: [4],
      });
      expect(
        openAt(fridayNight, [
          '2026-06-05T01:00:00Z', // Friday 01:00: Thursday's window, not listed
          '2026-06-05T23:00:00Z', // Friday 23:00
          '2026-06-06T01:00:00Z', // Saturday 01:00: Friday's window
          '2026-06-06T02:00:00Z',
          '2026-06-06T22:30:00Z', // Saturday's window, not listed
        ]),
      ).toEqual({
        '2026-06-05T01:00:00Z': false,
        '2026-06-05T23:00:00Z': true,
        '2026-06-06T01:00:00Z': true,
        '2026-06-06T02:00:00Z': false,
        '2026-06-06T22:30:00Z': false,
      });
    });

    it('makes a 24-hour window from the start time when start equals end', () => {
      const mondayMorningOn = schedule({
        recurrenceType: 'weekly',
        startTime: '09:00',
        endTime: '09:00',
        daysOfWeek: [0],
      });
      expect(
        openAt(mondayMorningOn, [
          '2026-06-01T08:59:00Z',
          '2026-06-01T09:00:00Z',
          '2026-06-02T08:59:00Z',
          '2026-06-02T09:00:00Z',
        ]),
      ).toEqual({
        '2026-06-01T08:59:00Z': false,
        '2026-06-01T09:00:00Z': true,
        '2026-06-02T08:59:00Z': true,
        '2026-06-02T09:00:00Z': false,
      });
    });
  });

  describe('monthly', () => {
    it('opens on the listed days of the month', () => {
      const payDays = schedule({
        recurrenceType: 'monthly',
        startTime: '00:00',
        endTime: '00:00',
        daysOfMonth: [1, 15],
      });
      expect(
        openAt(payDays, ['2026-06-01T00:00:00Z', '2026-06-15T23:59:00Z', '2026-06-16T00:00:00Z']),
      ).toEqual({
        '2026-06-01T00:00:00Z': true,
        '2026-06-15T23:59:00Z': true,
        '2026-06-16T00:00:00Z': false,
      });
    });

    it('finds the start day of a window crossing into the next month', () => {
      const lastNight = schedule({
        recurrenceType: 'monthly',
        startTime: '23:00',
        endTime: '01:00',
        daysOfMonth: [31],
      });
      // May has a 31st, June has not: no window opens on June 30.
      expect(
        openAt(lastNight, ['2026-06-01T00:30:00Z', '2026-07-01T00:30:00Z', '2026-01-01T00:30:00Z']),
      ).toEqual({
        '2026-06-01T00:30:00Z': true,
        '2026-07-01T00:30:00Z': false,
        '2026-01-01T00:30:00Z': true,
      });
    });
  });

  describe('cron', () => {
    it('is open during every minute the expression matches', () => {
      const workingHours = schedule({
        recurrenceType: 'cron',
        cronExpression: '* 9-17 * * 1-5',
      });
      expect(
        openAt(workingHours, [
          '2026-06-01T08:59:59Z',
          '2026-06-01T09:00:30Z',
          '2026-06-01T17:59:59Z',
          '2026-06-01T18:00:00Z',
          '2026-06-06T10:00:00Z', // Saturday
        ]),
      ).toEqual({
        '2026-06-01T08:59:59Z': false,
        '2026-06-01T09:00:30Z': true,
        '2026-06-01T17:59:59Z': true,
        '2026-06-01T18:00:00Z': false,
        '2026-06-06T10:00:00Z': false,
      });
    });

    it('matches on the wall clock of its time zone', () => {
      const berlinHalfHour = schedule({
        recurrenceType: 'cron',
        cronExpression: '0-29 9 * * *',
        timezone: 'Europe/Berlin',
      });
      expect(
        openAt(berlinHalfHour, [
          '2026-06-01T07:15:00Z',
          '2026-06-01T07:30:00Z',
          '2026-06-01T09:15:00Z',
          '2026-01-15T08:15:00Z',
        ]),
      ).toEqual({
        '2026-06-01T07:15:00Z': true,
        '2026-06-01T07:30:00Z': false,
        '2026-06-01T09:15:00Z': false,
        '2026-01-15T08:15:00Z': true,
      });
    });

    it('never matches a local hour skipped by daylight saving time', () => {
      const twoAm = schedule({
        recurrenceType: 'cron',
        cronExpression: '* 2 * * *',
        timezone: 'Europe/Berlin',
      });
      expect(openMinutes(twoAm, '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z')).toBe(0);
      expect(openMinutes(twoAm, '2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z')).toBe(120);
    });
  });

  describe('invalid input', () => {
    const stored = (fields: Partial<Record<keyof TimeSchedule, unknown>>) =>
      ({ ...schedule({ startTime: '00:00', endTime: '00:00' }), ...fields }) as TimeSchedule;

    it.each([
      ['a bad cron expression', { recurrenceType: 'cron', cronExpression: 'every minute' }],
      ['a cron expression with seconds', { recurrenceType: 'cron', cronExpression: '* * * * * *' }],
      ['a missing cron expression', { recurrenceType: 'cron', cronExpression: null }],
      ['an unknown time zone', { timezone: 'Mars/Olympus_Mons' }],
      ['a bad start time', { startTime: '25:00' }],
      ['a missing end time', { endTime: null }],
      ['weekdays out of range', { recurrenceType: 'weekly', daysOfWeek: [9] }],
      ['no days of the month', { recurrenceType: 'monthly', daysOfMonth: [] }],
      ['an unknown recurrence', { recurrenceType: 'yearly' }],
    ])('is never open with %s, and does not throw', (_, fields) => {
      const broken = stored(fields);
      expect(openMinutes(broken, '2026-06-01T00:00:00Z', '2026-06-01T00:10:00Z')).toBe(0);
    });

    it('is closed for what is not a schedule or not an instant', () => {
      const always = schedule({ startTime: '00:00', endTime: '00:00' });
      expect(isInWindow(null as unknown as TimeSchedule, new Date())).toBe(false);
      expect(isInWindow(always, new Date(Number.NaN))).toBe(false);
      expect(isInWindow(always, '2026-06-01' as unknown as Date)).toBe(false);
    });
  });
});

describe('schedulesAllow', () => {
  const at = new Date('2026-06-01T12:00:00Z');
  const open = schedule({ name: 'open', startTime: '09:00', endTime: '17:00' });
  const closed = schedule({ name: 'closed', startTime: '18:00', endTime: '20:00' });
  const disabledOpen = { ...open, enabled: false };

  it('allows a flag without enabled schedules', () => {
    expect(schedulesAllow(undefined, at)).toBe(true);
    expect(schedulesAllow([], at)).toBe(true);
    expect(schedulesAllow([{ ...closed, enabled: false }], at)).toBe(true);
  });

  it('allows inside the window of any enabled schedule', () => {
    expect(schedulesAllow([closed, open], at)).toBe(true);
    expect(schedulesAllow([closed], at)).toBe(false);
  });

  it('ignores disabled schedules, even when their window is open', () => {
    expect(schedulesAllow([closed, disabledOpen], at)).toBe(false);
  });

  it('keeps the flag off when its only schedule is broken', () => {
    const broken = {
      ...open,
      recurrenceType: 'cron',
      cronExpression: '61 * * * *',
    } as TimeSchedule;
    expect(schedulesAllow([broken], at)).toBe(false);
    expect(schedulesAllow([broken, open], at)).toBe(true);
  });
});
