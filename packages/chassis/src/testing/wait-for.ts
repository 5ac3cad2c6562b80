// Polls a condition with a deadline: tests wait for what they need, never a fixed time.

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      // The last failure says what was seen instead; test reporters often leave `cause` out.
      const last = lastError instanceof Error ? `; last: ${lastError.message.slice(0, 500)}` : '';
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}${last}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}
