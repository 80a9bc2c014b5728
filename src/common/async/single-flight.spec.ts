import { SingleFlight } from './single-flight';

describe(SingleFlight.name, () => {
  const deferred = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
    return { promise, resolve, reject };
  };

  it('gives callers of one key the same read while it runs', async () => {
    const flight = new SingleFlight<number>();
    const d = deferred<number>();
    const read = jest.fn(() => d.promise);
    const a = flight.run('k', read);
    const b = flight.run('k', read);
    d.resolve(7);
    expect(await Promise.all([a, b])).toEqual([7, 7]);
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('reads again once the earlier read has settled, and keeps keys apart', async () => {
    const flight = new SingleFlight<string>();
    const read = jest.fn(async (v: string) => v);
    expect(await flight.run('a', () => read('first'))).toBe('first');
    expect(await flight.run('a', () => read('second'))).toBe('second');
    expect(
      await Promise.all([flight.run('a', () => read('x')), flight.run('b', () => read('y'))]),
    ).toEqual(['x', 'y']);
    expect(read).toHaveBeenCalledTimes(4);
  });

  it('shares a failure with the callers that waited on it, then tries afresh', async () => {
    const flight = new SingleFlight<number>();
    const d = deferred<number>();
    const a = flight.run('k', () => d.promise);
    const b = flight.run('k', () => Promise.resolve(1));
    d.reject(new Error('database away'));
    await expect(a).rejects.toThrow('database away');
    await expect(b).rejects.toThrow('database away');
    expect(await flight.run('k', () => Promise.resolve(2))).toBe(2);
  });
});
