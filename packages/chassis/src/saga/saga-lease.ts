// Keeping a saga's lease while the runner works on it. It is renewed every
// third of the lease; once two thirds have passed without a renewal known to
// have taken, the work is told to stop (onLost). The lease is then still ours
// for about a third, so the step stops before another instance may claim the
// saga and run it too. Times are measured from when a lease write was SENT:
// the database set lease_until from a later clock reading, so that is safe.

export type LeaseLossReason =
  /** A renewal found another owner. */
  | 'taken'
  /** No renewal took for two thirds of the lease (they failed, or hang). */
  | 'unrenewed';

export interface LeaseKeeperOptions {
  leaseMs: number;
  /** When the write that took the lease (the claim) was sent, on `now`'s clock. */
  since: number;
  /** Extends the lease by leaseMs: true while it is ours, false once another instance has it; rejects when the database cannot say. */
  renew: () => Promise<boolean>;
  /** Called once at most; the keeper is stopped by then. */
  onLost: (reason: LeaseLossReason) => void;
  onRenewFailed?: (err: unknown) => void;
  /** Monotonic ms; default performance.now. */
  now?: () => number;
}

export interface LeaseKeeper {
  /**
   * Runs `fn`, a transaction of this instance that holds the saga's row lock
   * (taken under the lease): while it does, no other instance can claim the
   * saga (claims skip locked rows) and a renewal would only queue behind the
   * lock, so none is sent and the work is not stopped. Afterwards the lease is
   * checked at once: overdue, onLost fires before the next step can begin.
   */
  hold<T>(fn: () => Promise<T>): Promise<T>;
  stop(): void;
}

/** The share of the lease after which unrenewed work stops. */
export const LEASE_ABORT_SHARE = 2 / 3;

export function keepLease(o: LeaseKeeperOptions): LeaseKeeper {
  const now = o.now ?? (() => performance.now());
  const renewEveryMs = Math.max(10, Math.floor(o.leaseMs / 3));
  const stopAfterMs = Math.floor(o.leaseMs * LEASE_ABORT_SHARE);
  let renewedAt = o.since;
  let renewing = false;
  let holds = 0;
  let stopped = false;
  let deadline: NodeJS.Timeout | undefined;

  const stop = () => {
    stopped = true;
    clearInterval(interval);
    clearTimeout(deadline);
  };
  const lost = (reason: LeaseLossReason) => {
    if (stopped) return;
    stop();
    o.onLost(reason);
  };
  /** Stops the work if the lease is overdue, or sets a timer for when it will be. */
  const check = () => {
    clearTimeout(deadline);
    if (stopped || holds > 0) return;
    const left = renewedAt + stopAfterMs - now();
    if (left <= 0) return lost('unrenewed');
    deadline = setTimeout(check, Math.ceil(left));
    deadline.unref?.();
  };
  const renew = () => {
    // One renewal at a time: a hanging one is not joined by more (each would hold a connection).
    if (stopped || holds > 0 || renewing) return;
    renewing = true;
    const sent = now();
    o.renew().then(
      (ours) => {
        renewing = false;
        if (stopped) return;
        if (!ours) return lost('taken');
        renewedAt = Math.max(renewedAt, sent);
        check();
      },
      (err: unknown) => {
        renewing = false;
        if (!stopped) o.onRenewFailed?.(err);
      },
    );
  };
  const interval = setInterval(renew, renewEveryMs);
  interval.unref?.();
  check();

  return {
    async hold(fn) {
      holds++;
      clearTimeout(deadline);
      try {
        return await fn();
      } finally {
        holds--;
        if (holds === 0) {
          check();
          renew();
        }
      }
    },
    stop,
  };
}
