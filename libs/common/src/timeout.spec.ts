import { TimeoutError, withDeadline, withTimeout } from './timeout';

const later = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('withDeadline', () => {
  it('settles like the promise when it is in time', async () => {
    const onExpire = jest.fn();
    await expect(
      withDeadline(later(5, 'v'), 1000, () => new Error('late'), { onExpire }),
    ).resolves.toBe('v');
    await expect(
      withDeadline(Promise.reject(new Error('boom')), 1000, () => new Error('late')),
    ).rejects.toThrow('boom');
    expect(onExpire).not.toHaveBeenCalled();
  });

  it('rejects at the deadline, and hands a late value to onLate (a connection to give back)', async () => {
    const onExpire = jest.fn();
    const late = new Promise<string>((resolve) => {
      const onLate = (value: string) => resolve(value);
      void expect(
        withDeadline(later(50, 'conn'), 10, () => new TimeoutError('too slow'), {
          onExpire,
          onLate,
        }),
      ).rejects.toThrow('too slow');
    });
    expect(await late).toBe('conn');
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('swallows a late failure: the caller already has its answer', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const failing = new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 20));
      await expect(withDeadline(failing, 5, () => new TimeoutError('t'))).rejects.toThrow('t');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('withTimeout', () => {
  it('names what timed out', async () => {
    await expect(withTimeout(later(100, 1), 5, 'Redis PING')).rejects.toThrow(
      new TimeoutError('Redis PING timed out after 5 ms'),
    );
  });
});
