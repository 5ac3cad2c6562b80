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

export function createHashQueue(policy: HashQueuePolicy) {
  let running = 0;
  const lanes: Record<HashLane, Waiter[]> = { first: [], second: [] };
  const inHand = new Map<string, number>();
  const secondLaneLimit = Math.ceil(policy.maxWaiting / 2);

  const waitingCount = () => lanes.first.length + lanes.second.length;

  function release(client: string): void {
    running--;
    const left = (inHand.get(client) ?? 1) - 1;
    if (left > 0) inHand.set(client, left);
    else inHand.delete(client);
    const next = lanes.first.shift() ?? lanes.second.shift();
    if (next) {
      running++;
      next.start();
    }
  }

  return {
    /** Runs `work` when a place is free; throws HashQueueFull at once when none can be had. */
    run<T>(client: string, lane: HashLane, work: () => Promise<T>): Promise<T> {
      if ((inHand.get(client) ?? 0) >= policy.perClient) return Promise.reject(new HashQueueFull('client'));
      const mustWait = running >= policy.concurrency;
      if (mustWait) {
        const full = waitingCount() >= policy.maxWaiting || (lane === 'second' && lanes.second.length >= secondLaneLimit);
        if (full) return Promise.reject(new HashQueueFull('busy'));
      }
      inHand.set(client, (inHand.get(client) ?? 0) + 1);
      const started = new Promise<void>((resolve) => {
        if (mustWait) lanes[lane].push({ client, start: resolve });
        else {
          running++;
          resolve();
        }
      });
      return started.then(() => work()).finally(() => release(client));
    },

    /** Running and waiting counts, for metrics and tests. */
    stats(): { running: number; waiting: number; clients: number } {
      return { running, waiting: waitingCount(), clients: inHand.size };
    },
  };
}

export type HashQueue = ReturnType<typeof createHashQueue>;
