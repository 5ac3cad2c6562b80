// A bounded line for scrypt: at most `concurrency` hashes run at once, at most
// `maxWaiting` wait, and one client IP holds at most `perClient` of them
// (running or waiting), so one address cannot fill the line for everybody.
// Beyond that a request is refused at once (HashQueueFull) rather than queued
// without end. Two lanes: sign-ins from addresses without recent failures go
// first; sign-ups and sign-ins from addresses that have been failing go
// second and may fill only half of the waiting places (a customer who cannot
// sign up now tries again, one who cannot sign in cannot buy, and a guesser's
// few admitted checks must not make the customer wait). Which lane is chosen
// never depends on whether an account exists (that would tell under load).
//
// Fair between addresses: one client never runs on every place (one is kept
// for the others), and within a lane the next place goes to the waiting
// client served longest ago, not to whoever queued first. A flood's first
// burst arrives before it has failed (so in the first lane) and fills its
// share of places at once; first come, first served made a customer who came
// next wait for all of them, at up to a second of scrypt each on a busy host.

export type HashLane = 'first' | 'second';

export interface HashQueuePolicy {
  concurrency: number;
  maxWaiting: number;
  perClient: number;
}

export class HashQueueFull extends Error {
  readonly reason: 'busy' | 'client';
  constructor(reason: 'busy' | 'client') {
    super(
      reason === 'busy' ? 'every place in the hashing queue is taken' : 'this client already has its share of the hashing queue',
    );
    this.name = 'HashQueueFull';
    this.reason = reason;
  }
}

export const isHashQueueFull = (err: unknown): err is HashQueueFull =>
  (err as { name?: unknown } | null)?.name === 'HashQueueFull';

interface Waiter {
  client: string;
  start: () => void;
}

/** What the queue knows of a client holding places: running and waiting, and when one of its hashes last started. */
interface ClientState {
  inHand: number;
  running: number;
  /** Sequence number of its last start; 0 = none yet (served before anyone who has been). */
  lastStarted: number;
}

export function createHashQueue(policy: HashQueuePolicy) {
  let running = 0;
  let starts = 0;
  const lanes: Record<HashLane, Waiter[]> = { first: [], second: [] };
  const clients = new Map<string, ClientState>();
  const secondLaneLimit = Math.ceil(policy.maxWaiting / 2);
  /** With one place, a client can only take it; with more, one is always left for other addresses. */
  const runningPerClient = Math.max(1, policy.concurrency - 1);

  const waitingCount = () => lanes.first.length + lanes.second.length;
  const canStart = (state: ClientState) => running < policy.concurrency && state.running < runningPerClient;

  function begin(state: ClientState): void {
    running++;
    state.running++;
    state.lastStarted = ++starts;
  }

  /** The waiter to start next: first lane first; within it, the startable client served longest ago (then queued first). */
  function takeNext(): Waiter | undefined {
    for (const lane of [lanes.first, lanes.second]) {
      let best = -1;
      let bestServed = Infinity;
      for (let i = 0; i < lane.length; i++) {
        const state = clients.get(lane[i]!.client)!;
        if (state.lastStarted < bestServed && canStart(state)) {
          best = i;
          bestServed = state.lastStarted;
        }
      }
      if (best !== -1) return lane.splice(best, 1)[0];
    }
    return undefined;
  }

  function release(client: string): void {
    running--;
    const state = clients.get(client)!;
    state.running--;
    if (--state.inHand === 0) clients.delete(client);
    for (let next = takeNext(); next; next = takeNext()) {
      begin(clients.get(next.client)!);
      next.start();
    }
  }

  return {
    /** Runs `work` when a place is free; throws HashQueueFull at once when none can be had. */
    run<T>(client: string, lane: HashLane, work: () => Promise<T>): Promise<T> {
      const state = clients.get(client) ?? { inHand: 0, running: 0, lastStarted: 0 };
      if (state.inHand >= policy.perClient) return Promise.reject(new HashQueueFull('client'));
      const mustWait = !canStart(state);
      if (mustWait) {
        const full = waitingCount() >= policy.maxWaiting || (lane === 'second' && lanes.second.length >= secondLaneLimit);
        if (full) return Promise.reject(new HashQueueFull('busy'));
      }
      state.inHand++;
      clients.set(client, state);
      const started = new Promise<void>((resolve) => {
        if (mustWait) lanes[lane].push({ client, start: resolve });
        else {
          begin(state);
          resolve();
        }
      });
      return started.then(() => work()).finally(() => release(client));
    },

    /** Running and waiting counts, for metrics and tests. */
    stats(): { running: number; waiting: number; clients: number } {
      return { running, waiting: waitingCount(), clients: clients.size };
    },
  };
}

export type HashQueue = ReturnType<typeof createHashQueue>;
