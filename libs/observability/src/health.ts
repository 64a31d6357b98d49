/** A named readiness check; it resolves when the dependency answers and rejects when not. */
export interface HealthCheck {
  readonly name: string;
  check(): Promise<unknown>;
}

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, { status: 'ok' | 'unavailable'; detail?: string }>;
}

/** Runs every check at once, each bounded by `timeoutMs` (default 2000), and never throws. */
export async function runHealthChecks(
  checks: readonly HealthCheck[],
  timeoutMs = 2000,
): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const detail = await Promise.race([
          c.check(),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`timed out after ${timeoutMs} ms`)),
              timeoutMs,
            );
          }),
        ]);
        return [
          c.name,
          { status: 'ok' as const, ...(typeof detail === 'string' ? { detail } : {}) },
        ] as const;
      } catch (error) {
        return [
          c.name,
          { status: 'unavailable' as const, detail: (error as Error).message },
        ] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const entries = Object.fromEntries(results);
  const status = results.every(([, r]) => r.status === 'ok') ? 'ok' : 'unavailable';
  return { status, checks: entries };
}
