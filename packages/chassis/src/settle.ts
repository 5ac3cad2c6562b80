// Waiting for several things side by side where each may fail: the results once all
// have settled, or the first failure (in argument order), but only after the others
// settled too. A start-up that fails must not release its resources while a sibling
// is still acquiring one (or still retrying a call), so nothing is raced.

export async function allSettledOrThrow<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
