import type { AppProcess } from './app-process';

export interface HealthPolls {
  name: string;
  polls: number;
  /** Answered 200 within the poll's timeout. */
  ok: number;
  /** Every other outcome: status, or 0 for no answer, with when it was sent. */
  failures: Array<{ status: number; ms: number; atMs: number }>;
  worstMs: number;
  p50Ms: number;
}

/**
 * GET /health of one process every `everyMs` over real HTTP while something else runs, each poll
 * on its own (a slow answer does not delay the next poll). An event loop held by a runaway
 * render would show as slow or missing answers; `timeoutMs` is what counts as no answer.
 */
export function pollHealth(
  proc: AppProcess,
  everyMs = 100,
  timeoutMs = 5000,
): { stop: () => Promise<HealthPolls> } {
  const started = performance.now();
  const answers: Array<{ status: number; ms: number; atMs: number }> = [];
  const pending: Array<Promise<void>> = [];
  const poll = () => {
    const sent = performance.now();
    pending.push(
      fetch(`${proc.baseUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) }).then(
        async (res) => {
          await res.arrayBuffer();
          answers.push({ status: res.status, ms: performance.now() - sent, atMs: sent - started });
        },
        () => {
          answers.push({ status: 0, ms: performance.now() - sent, atMs: sent - started });
        },
      ),
    );
  };
  poll();
  const timer = setInterval(poll, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      const times = answers.map((a) => a.ms).sort((a, b) => a - b);
      return {
        name: proc.name,
        polls: pending.length,
        ok: answers.filter((a) => a.status === 200).length,
        failures: answers.filter((a) => a.status !== 200),
        worstMs: times.length ? times[times.length - 1] : 0,
        p50Ms: times.length ? times[Math.floor(times.length / 2)] : 0,
      };
    },
  };
}
