import { isInWindow } from './time-schedules';
import { openAt, openMinutes, schedule } from './time-schedules.spec-support';

// Recurrences, invalid input and schedulesAllow: time-schedules.spec.ts.
// 2026-06-01 is a Monday, 2026-06-05 a Friday.
describe('isInWindow', () => {
  describe('time zones', () => {
    it('follows America/New_York in winter and summer', () => {
      const office = schedule({
        startTime: '09:00',
        endTime: '17:00',
        timezone: 'America/New_York',
      });
      expect(
        openAt(office, [
          '2026-01-15T13:59:00Z',
          '2026-01-15T14:00:00Z',
          '2026-01-15T21:59:00Z',
          '2026-01-15T22:00:00Z',
          '2026-07-15T13:00:00Z',
          '2026-07-15T21:00:00Z',
        ]),
      ).toEqual({
        '2026-01-15T13:59:00Z': false,
        '2026-01-15T14:00:00Z': true,
        '2026-01-15T21:59:00Z': true,
        '2026-01-15T22:00:00Z': false,
        '2026-07-15T13:00:00Z': true,
        '2026-07-15T21:00:00Z': false,
      });
    });

    it('takes the day of the week in the zone, not in UTC', () => {
      const mondayEvening = schedule({
        recurrenceType: 'weekly',
        startTime: '20:00',
        endTime: '23:00',
        daysOfWeek: [0],
        timezone: 'America/New_York',
      });
      // Tuesday 01:00 UTC is Monday 21:00 in New York.
      expect(isInWindow(mondayEvening, new Date('2026-06-02T01:00:00Z'))).toBe(true);
      expect(isInWindow(mondayEvening, new Date('2026-06-01T21:00:00Z'))).toBe(false);
    });

    it('handles the half-hour offset of Asia/Kolkata', () => {
      const standUp = schedule({ startTime: '09:00', endTime: '09:30', timezone: 'Asia/Kolkata' });
      expect(
        openAt(standUp, [
          '2026-06-01T03:29:00Z',
          '2026-06-01T03:30:00Z',
          '2026-06-01T03:59:00Z',
          '2026-06-01T04:00:00Z',
        ]),
      ).toEqual({
        '2026-06-01T03:29:00Z': false,
        '2026-06-01T03:30:00Z': true,
        '2026-06-01T03:59:00Z': true,
        '2026-06-01T04:00:00Z': false,
      });
    });
  });

  describe('daylight saving time', () => {
    const berlinTwoAm = schedule({
      startTime: '02:00',
      endTime: '03:00',
      timezone: 'Europe/Berlin',
    });
    const newYorkOneAm = schedule({
      startTime: '01:00',
      endTime: '02:00',
      timezone: 'America/New_York',
    });
    const newYorkTwoAm = schedule({
      startTime: '02:00',
      endTime: '03:00',
      timezone: 'America/New_York',
    });

    it('never opens a window in the hour Europe/Berlin skips in spring', () => {
      // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST.
      expect(openAt(berlinTwoAm, ['2026-03-29T00:59:00Z', '2026-03-29T01:00:00Z'])).toEqual({
        '2026-03-29T00:59:00Z': false,
        '2026-03-29T01:00:00Z': false,
      });
      expect(openMinutes(berlinTwoAm, '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z')).toBe(0);
      expect(isInWindow(berlinTwoAm, new Date('2026-03-28T01:30:00Z'))).toBe(true);
    });

    it('opens a window in the hour Europe/Berlin repeats in autumn for both passes', () => {
      // 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET.
      expect(
        openAt(berlinTwoAm, [
          '2026-10-24T23:59:00Z',
          '2026-10-25T00:30:00Z',
          '2026-10-25T01:30:00Z',
          '2026-10-25T02:00:00Z',
        ]),
      ).toEqual({
        '2026-10-24T23:59:00Z': false,
        '2026-10-25T00:30:00Z': true,
        '2026-10-25T01:30:00Z': true,
        '2026-10-25T02:00:00Z': false,
      });
      expect(openMinutes(berlinTwoAm, '2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z')).toBe(120);
    });

    it('follows the America/New_York changes of March and November', () => {
      // 2026-03-08 07:00 UTC: 02:00 EST becomes 03:00 EDT.
      expect(openMinutes(newYorkTwoAm, '2026-03-08T00:00:00Z', '2026-03-09T00:00:00Z')).toBe(0);
      // 2026-11-01 06:00 UTC: 02:00 EDT becomes 01:00 EST.
      expect(
        openAt(newYorkOneAm, [
          '2026-11-01T04:59:00Z',
          '2026-11-01T05:30:00Z',
          '2026-11-01T06:30:00Z',
          '2026-11-01T07:00:00Z',
        ]),
      ).toEqual({
        '2026-11-01T04:59:00Z': false,
        '2026-11-01T05:30:00Z': true,
        '2026-11-01T06:30:00Z': true,
        '2026-11-01T07:00:00Z': false,
      });
    });
  });
});
