/**
 * Runs `work` on every item, at most `limit` at a time, in the items' order of start; resolves
 * when all have settled. A rejection of `work` is the caller's to catch: it rejects the whole.
 */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
