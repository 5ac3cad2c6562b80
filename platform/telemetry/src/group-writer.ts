// Group commit for ingestion: requests hand their rows over and wait; one write at a time takes every row
// that arrived meanwhile, in one statement, and answers all of their requests when it commits. Under load
// fourteen exporters cost one transaction per round, not one each. Beyond `maxPending` rows waiting, a
// request is refused at once (the caller answers 503 and the OTLP exporter retries later): memory stays bounded.

export interface GroupWriter<T> {
  /** Resolves once `rows` are committed; rejects with the write's error, or `Overloaded` when too much waits. */
  submit(rows: readonly T[]): Promise<void>;
  /** Rows waiting or being written. */
  pending(): number;
  /** Waits for every submitted row to be written. */
  drain(): Promise<void>;
}

export class Overloaded extends Error {}

interface Waiter<T> {
  rows: readonly T[];
  resolve(): void;
  reject(err: unknown): void;
}

export function createGroupWriter<T>(
  write: (rows: T[]) => Promise<void>,
  options: { maxBatch: number; maxPending: number },
): GroupWriter<T> {
  const queue: Waiter<T>[] = [];
  let queued = 0;
  let writing = 0;
  let running: Promise<void> | undefined;

  async function run(): Promise<void> {
    while (queue.length > 0) {
      // Whole requests, up to maxBatch rows (a request bigger than that goes alone).
      const batch: Waiter<T>[] = [];
      let size = 0;
      while (queue.length > 0 && (batch.length === 0 || size + queue[0]!.rows.length <= options.maxBatch)) {
        const next = queue.shift()!;
        batch.push(next);
        size += next.rows.length;
      }
      queued -= size;
      writing = size;
      try {
        await write(batch.flatMap((w) => w.rows));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      } finally {
        writing = 0;
      }
    }
    running = undefined;
  }

  return {
    submit(rows) {
      if (rows.length === 0) return Promise.resolve();
      if (queued + writing + rows.length > options.maxPending)
        return Promise.reject(new Overloaded(`${queued + writing} rows already wait to be written`));
      const done = new Promise<void>((resolve, reject) => queue.push({ rows, resolve, reject }));
      queued += rows.length;
      running ??= run();
      return done;
    },
    pending: () => queued + writing,
    async drain() {
      while (running) await running;
    },
  };
}
