// Keeping a lease while a worker works on what it claimed (a job, a saga). It
// is renewed on a timer, every third of the lease, and only then: never per
// step of the work (a saga's steps cost no renewal). A tick that falls while a
// transaction holds the row's lock is sent when it ends. Once two thirds have passed without a
// renewal known to have taken, the work is told to stop (onLost). The lease is
// then still ours for about a third, so the work stops before another instance
// may claim it and run it too. Times are measured from when a lease write was
// SENT: the database set lease_until from a later clock reading, so that is safe.
//
// The lease schema, the same in every table that has leases (souk_job,
// souk_saga, souk_feed_cursor): `lease_owner` (the instance id holding it) and `lease_until`
// (timestamptz, set from the database's clock_timestamp()); both null when
// nobody holds it. A claim takes rows whose lease_until is null or past, FOR
// UPDATE SKIP LOCKED; every write of the holder is guarded by lease_owner.
// Clocks: lease_until is the database's clock (instances agree on it); this
// keeper times renewals on a monotonic clock (performance.now), which no wall
// clock step can move.

/** The lease went to another instance: stop working, write nothing more. */
export class LeaseLost extends Error {
  constructor() {
    super('the lease was lost');
    this.name = 'LeaseLost';
  }
}

/** The worker is stopping: stop working, give the lease back. */
export class WorkerStopping extends Error {
  constructor() {
    super('the worker is stopping');
    this.name = 'WorkerStopping';
  }
}

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
   * Runs `fn`, a transaction of this instance that holds the claimed row's lock
   * (taken under the lease): while it does, no other instance can claim the
   * row (claims skip locked rows) and a renewal would only queue behind the
   * lock, so none is sent and the work is not stopped. Afterwards the lease is
   * checked at once: overdue, onLost fires before the next step can begin; a
   * renewal whose tick fell during the hold is sent then (and no other).
   * `renewedBy`: true for a result whose committed transaction extended the
   * lease itself (the NATS consumer's fence): that counts as a renewal sent
   * when the hold began.
   */
  hold<T>(fn: () => Promise<T>, renewedBy?: (result: T) => boolean): Promise<T>;
  stop(): void;
}

/** The share of the lease after which unrenewed work stops. */
export const LEASE_ABORT_SHARE = 2 / 3;

export function keepLease(options: LeaseKeeperOptions): LeaseKeeper {
  const now = options.now ?? (() => performance.now());
  const renewEveryMs = Math.max(10, Math.floor(options.leaseMs / 3));
  const stopAfterMs = Math.floor(options.leaseMs * LEASE_ABORT_SHARE);
  let renewedAt = options.since;
  let renewing = false;
  let holds = 0;
  /** A tick fell while a hold was on: renew when it ends. */
  let deferred = false;
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
    options.onLost(reason);
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
    if (holds > 0) {
      deferred = true;
      return;
    }
    // One renewal at a time: a hanging one is not joined by more (each would hold a connection).
    if (stopped || renewing) return;
    renewing = true;
    const sent = now();
    options.renew().then(
      (ours) => {
        renewing = false;
        if (stopped) return;
        if (!ours) return lost('taken');
        renewedAt = Math.max(renewedAt, sent);
        check();
      },
      (err: unknown) => {
        renewing = false;
        if (!stopped) options.onRenewFailed?.(err);
      },
    );
  };
  const interval = setInterval(renew, renewEveryMs);
  interval.unref?.();
  check();

  return {
    async hold(fn, renewedBy) {
      const sent = now();
      holds++;
      clearTimeout(deadline);
      try {
        const result = await fn();
        if (renewedBy?.(result)) renewedAt = Math.max(renewedAt, sent);
        return result;
      } finally {
        holds--;
        if (holds === 0) {
          check();
          if (deferred) {
            deferred = false;
            renew();
          }
        }
      }
    },
    stop,
  };
}
