import { eachLimited } from './each-limited';

describe(eachLimited.name, () => {
  it('runs every item once, never more than the limit at a time, starting them in order', async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      started.push(n);
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5 + (n % 3)));
      running--;
    });
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
    expect(running).toBe(0);
  });

  it('does nothing for no items, and runs one lane for a limit below one', async () => {
    const seen: number[] = [];
    await eachLimited([], 4, async (n: number) => void seen.push(n));
    await eachLimited([1, 2], 0, async (n) => void seen.push(n));
    expect(seen).toEqual([1, 2]);
  });
});
