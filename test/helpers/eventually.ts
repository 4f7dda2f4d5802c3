// Polling for end-to-end tests: wait until a condition holds (or a value appears), failing with the
// last error after a generous timeout. Never a timed assertion: the timeout only bounds a hang.

type Absent = undefined | null | false;

export async function eventually<T>(
  check: () => T | Absent | Promise<T | Absent>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<Exclude<T, Absent>> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, Absent>;
      lastError = new Error(`${options.what ?? "condition"} not met`);
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError instanceof Error ? lastError : new Error(String(lastError));
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
