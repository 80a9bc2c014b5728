/**
 * Shares one in-flight read among the callers that ask for the same key while it runs. Nothing
 * is kept after it settles, so no caller sees a value older than a read that started before it
 * asked: under load, concurrent requests of one program cost one query instead of one each.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, read: () => Promise<T>): Promise<T> {
    const current = this.running.get(key);
    if (current) return current;
    const started = read().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }
}
