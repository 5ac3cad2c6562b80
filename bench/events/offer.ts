// Offering work at a fixed rate (open loop), for the bench process and for the
// producer service the bench drives from inside its own process.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Offers `count` calls at `rate` per second on a fixed schedule (open loop): call n starts at
 * t0 + n/rate whether or not earlier ones have finished, so a slow answer does not lower the
 * offered rate (a closed loop with a sleep between calls never reaches 1,000/s). At most
 * `maxInFlight` run at once; returns the rate actually offered.
 */
export async function offerAtRate(
  rate: number,
  count: number,
  call: (n: number) => Promise<unknown>,
  maxInFlight = 256,
): Promise<number> {
  // A count and one waiter, not Promise.race over the calls in flight: that subscribes to every one
  // of them at each step, which cost the offering process more CPU than the calls themselves.
  const inFlight = new Set<Promise<unknown>>();
  let freed: (() => void) | undefined;
  let failure: { err: unknown } | undefined;
  const t0 = performance.now();
  for (let n = 0; n < count; n++) {
    const due = t0 + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    while (inFlight.size >= maxInFlight) await new Promise<void>((resolve) => (freed = resolve));
    const p: Promise<unknown> = call(n).finally(() => {
      inFlight.delete(p);
      freed?.();
      freed = undefined;
    });
    p.catch((err: unknown) => void (failure ??= { err }));
    inFlight.add(p);
    if (failure) break;
  }
  const offered = count / ((performance.now() - t0) / 1000);
  await Promise.allSettled(inFlight);
  if (failure) throw failure.err;
  return offered;
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes of one machine. */
export const wallClockMs = (): number => performance.timeOrigin + performance.now();
