// The claim loop of leased background work, shared by the jobs runner and the
// saga runner: it claims due rows under a lease (the caller's claim statement,
// FOR UPDATE SKIP LOCKED), keeps each lease while its work runs (lease.ts),
// never runs more than `concurrency` at once, backs off while claiming fails
// (backoff.ts's FAILURE_PAUSE), and wakes
// - now: wake() (an operator's retry, a test);
// - after a commit: `onWake` (a LISTEN channel the enqueuing transaction
//   NOTIFYs; PostgreSQL delivers a NOTIFY only when its transaction commits);
// - at the next due time: wakeIn(ms) (a retry this instance scheduled);
// - when a row finishes, if the concurrency limit held rows back;
// - and every `pollMs` in any case (another instance's retries, a lost NOTIFY).
// stop() stops claiming, interrupts the work in flight (its signal aborts with
// WorkerStopping), awaits it, and gives back the leases of what it interrupted.
// A row this instance leased to itself when it wrote it (a saga started leased)
// skips the claim: reserve() keeps a place for it within `concurrency` while
// the writing transaction is open, adopt() starts its work after the commit.

import type { Logger } from 'pino';
import { failurePause } from '../backoff.ts';
import { pause } from '../events/pause.ts';
import { keepLease, LeaseLost, WorkerStopping, type LeaseKeeper } from './lease.ts';

export interface Claimed {
  id: string;
}

/** What a claimed row's work gets from the loop. */
export interface WorkLease {
  /** Aborts with LeaseLost when the lease could not be kept, with WorkerStopping at stop(). */
  signal: AbortSignal;
  /** Runs a transaction holding the row's lock: the lease keeper does not stop the work meanwhile (lease.ts). */
  hold: LeaseKeeper['hold'];
  /** performance.now() when the claim that took the lease was sent. */
  claimedAt: number;
}

export interface ClaimLoopOptions<R extends Claimed> {
  log: Logger;
  /** What is claimed, for log lines ('job', 'saga'). */
  what: string;
  leaseMs: number;
  pollMs: number;
  /** Rows worked on at once by this instance. */
  concurrency: number;
  /** Takes up to `limit` due rows under a lease of `leaseMs` for this instance, none of `busy` (worked on here already). */
  claim(limit: number, busy: readonly string[]): Promise<R[]>;
  /** Extends the lease of row `id` by leaseMs: true while it is this instance's, false once another has it. */
  renew(id: string): Promise<boolean>;
  /** Gives the lease of row `id` back after stop() interrupted its work. */
  release(id: string): Promise<void>;
  /** The work on one claimed row; a rejection is logged (the work records its own failures). */
  work(row: R, lease: WorkLease): Promise<void>;
  /** Subscribes `wake` to a notification channel; returns the unsubscribe. */
  onWake?: (wake: () => void) => () => void;
}

export interface ClaimLoop<R extends Claimed = Claimed> {
  /** Claims now. */
  wake: () => void;
  /** Claims in `delayMs` (when a retry this instance scheduled is due). */
  wakeIn: (delayMs: number) => void;
  /** Begins claiming (idempotent). */
  run: () => void;
  /**
   * Keeps a place for row `id`, about to be written already leased to this instance: true when there is room
   * (running, not stopping, under `concurrency` with what is in flight and reserved). The claim leaves it alone.
   */
  reserve: (id: string) => boolean;
  /** Gives a reserved place back (the row was not written after all, or will be claimed the usual way). */
  unreserve: (id: string) => void;
  /**
   * Works on a reserved row whose lease this instance took when it wrote it (`claimedAt`: when that was sent);
   * false when it does not (stopping, or a claim took it meanwhile).
   */
  adopt: (row: R, claimedAt: number) => boolean;
  /** Whether row `id` is worked on (or reserved) here now. */
  has: (id: string) => boolean;
  /** Stops claiming, interrupts the work in flight and awaits it; leases of interrupted work are given back. */
  stop: () => Promise<void>;
}

export function createClaimLoop<R extends Claimed>(options: ClaimLoopOptions<R>): ClaimLoop<R> {
  const { log, what } = options;
  const inflight = new Map<string, { ctl: AbortController; done: Promise<void> }>();
  const reserved = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;
  let pendingWake = true;
  let wakeWaiter: (() => void) | undefined;
  /**
   * The last claim was held back by the concurrency limit (no room, or it took as many rows as there was room for):
   * due rows may be waiting, so the next row that finishes wakes the loop. Otherwise a finished row claims nothing
   * new: the claim would find only what a NOTIFY, a due retry or the poll brings anyway.
   */
  let heldBack = false;

  const wake = () => {
    pendingWake = true;
    wakeWaiter?.();
  };
  const offWake = options.onWake?.(wake);
  const wakeIn = (delayMs: number) => {
    if (stopping.signal.aborted) return;
    // A few ms late rather than early: the row's due time was set by the database's clock after this was asked.
    const timer = setTimeout(() => (timers.delete(timer), wake()), delayMs + 5);
    timer.unref();
    timers.add(timer);
  };
  const nextWake = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakeWaiter = undefined;
        stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeWaiter = done;
      stopping.signal.addEventListener('abort', done, { once: true });
    });

  async function claimLoop(): Promise<void> {
    let failures = 0;
    while (!stopping.signal.aborted) {
      if (!pendingWake) await nextWake(options.pollMs);
      if (stopping.signal.aborted) break;
      pendingWake = false;
      const free = options.concurrency - inflight.size - reserved.size;
      if (free <= 0) {
        heldBack = true; // a finishing row wakes the loop
        continue;
      }
      try {
        const sent = performance.now(); // the leases run from (no earlier than) here
        const rows = await options.claim(free, [...inflight.keys(), ...reserved]);
        failures = 0;
        // A row written leased to this instance while the claim was on its way (reserved, or adopted since) is
        // taken by adopt(), not twice.
        for (const row of rows) if (!inflight.has(row.id) && !reserved.has(row.id)) start(row, sent);
        heldBack = rows.length === free;
        if (heldBack) pendingWake = true; // there may be more
      } catch (err) {
        failures++;
        if (failures === 1) log.warn({ err }, `claiming ${what}s failed; retrying`);
        await pause(failurePause(failures), stopping.signal);
        pendingWake = true;
      }
    }
  }

  function start(row: R, claimedAt: number): void {
    const ctl = new AbortController();
    // Renewed every third of the lease; the work is stopped at two thirds without a renewal (failing or hanging),
    // while the lease is still ours: past a whole lease another instance may already run the same work.
    const lease = keepLease({
      leaseMs: options.leaseMs,
      since: claimedAt,
      renew: () => options.renew(row.id),
      onRenewFailed: (err) => log.warn({ err, [`${what}_id`]: row.id }, `renewing a ${what} lease failed`),
      onLost: (reason) => {
        if (reason === 'unrenewed')
          log.warn({ [`${what}_id`]: row.id }, `${what} lease not renewed in time; its work is stopped`);
        ctl.abort(new LeaseLost());
      },
    });
    const done = Promise.resolve()
      .then(() => options.work(row, { signal: ctl.signal, hold: (fn) => lease.hold(fn), claimedAt }))
      .catch((err: unknown) => log.error({ err, [`${what}_id`]: row.id }, `working on a ${what} failed`))
      .finally(async () => {
        lease.stop();
        if (ctl.signal.reason instanceof WorkerStopping) await options.release(row.id).catch(() => undefined);
        inflight.delete(row.id);
        // Room for rows the limit held back; or this row's lease was lost and it may be due here again at once.
        if (heldBack || ctl.signal.reason instanceof LeaseLost) {
          heldBack = false;
          wake();
        }
      });
    inflight.set(row.id, { ctl, done });
  }

  return {
    wake,
    wakeIn,
    run() {
      loop ??= claimLoop();
    },
    reserve(id) {
      if (!loop || stopping.signal.aborted || inflight.has(id) || reserved.has(id)) return false;
      if (inflight.size + reserved.size >= options.concurrency) return false;
      reserved.add(id);
      return true;
    },
    unreserve(id) {
      if (reserved.delete(id) && heldBack) {
        heldBack = false;
        wake();
      }
    },
    adopt(row, claimedAt) {
      reserved.delete(row.id);
      if (stopping.signal.aborted || inflight.has(row.id)) {
        // Stopping: give the lease back so another instance takes the row at once.
        if (stopping.signal.aborted) void options.release(row.id).catch(() => undefined);
        return false;
      }
      start(row, claimedAt);
      return true;
    },
    has: (id) => inflight.has(id) || reserved.has(id),
    async stop() {
      stopping.abort();
      offWake?.();
      for (const t of timers) clearTimeout(t);
      await loop;
      for (const { ctl } of inflight.values()) ctl.abort(new WorkerStopping());
      await Promise.allSettled([...inflight.values()].map((f) => f.done));
    },
  };
}
