// Consuming one producer's JetStream stream in one service: batches in
// flight, handled in stream order, acknowledged after their commit.
//
// - One instance at a time pulls (a lease on the producer's row of
//   souk_feed_cursor, as the feed has): the others stand by and take over when
//   it stops or its lease runs out. Different producers spread over instances.
// - The puller keeps up to MAX_ACK_PENDING messages in flight (pull requests
//   of PULL_BATCH) and hands whatever has arrived, up to MAX_BATCH, to
//   `deliverBatch`: one transaction, events in stream order; when the broker
//   says more of a burst is on its way, it waits up to GATHER_MS for it
//   (`gathers`): one transaction instead of several. A failure there
//   and the batch goes one event at a time (`deliver`), which counts failures
//   and dead-letters; an event to retry is retried in place, after its delay,
//   before anything behind it.
// - Order: an event is handled only once every earlier message of the stream
//   is acknowledged (the stream sequence right after `floor`, which starts at
//   the consumer's ack floor and moves with our acks). A message that arrives
//   early (an earlier one is still out with a dead instance, lost in a broker
//   restart, or handed back) waits, kept alive with +WPI, until the earlier
//   ones come back. So a key's events, indeed the whole stream, are handled in
//   the producer's order whatever the broker redelivers when.
// - Acks are plain (+ACK, no reply awaited), sent after the commit, a batch's
//   together in one write: a lost ack only means a redelivery, which the inbox
//   skips.
// - The lease row's `position` is the generation of the durable consumer: a
//   replay bumps it and reads the stream through a new consumer (`rewind`), so
//   nothing pulled or handled under the old one can mix with the rewound stream.

import { createInbox, type Msg, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { failurePause } from '../backoff.ts';
import { keepLease } from '../jobs/lease.ts';
import { parseEnvelope, type CloudEvent } from './envelope.ts';
import type { EventMetrics } from './event-metrics.ts';
import type { Handling, Within } from './handling.ts';
import { durableName, leaseSql } from './nats-lease.ts';
import { pause } from './pause.ts';

/** Messages asked for by one pull request. */
export const PULL_BATCH = 256;
/** Delivered, unacknowledged messages the broker lets the consumer have (its max_ack_pending). */
export const MAX_ACK_PENDING = 2 * PULL_BATCH;
/** Events handled in one transaction at most. */
export const MAX_BATCH = 256;
/** A pull request waits this long for messages, then the broker ends it and another is sent. */
const PULL_EXPIRES_MS = 10_000;
/** While an early message waits for an earlier one, the consumer's ack floor is read again this often. */
const GAP_RECHECK_MS = 500;
/** A run whose last message says more is on its way waits this long at most for the rest (`gathers`). */
export const GATHER_MS = 5;

const ACK = new TextEncoder().encode('+ACK');
const NAK = new TextEncoder().encode('-NAK');
const WORKING = new TextEncoder().encode('+WPI');
const TERM = new TextEncoder().encode('+TERM'); // no reason text: NATS 2.9 does not parse '+TERM <reason>'

export interface NatsConsumerOptions {
  connection: NatsConnection;
  jsm: JetStreamManager;
  stream: string;
  producer: string;
  /** The consuming service: its durable consumer's name. */
  service: string;
  /** This instance, as lease owner. */
  owner: string;
  /** The event types it handles; the rest of the stream is acknowledged unhandled. */
  types: ReadonlySet<string>;
  db: Kysely<any>;
  handling: Handling;
  metrics: EventMetrics;
  log: Logger;
  leaseMs: number;
  ackWaitMs: number;
  /** Creates the durable consumer unless it exists (and brings its settings up to date). */
  ensureConsumer(durable: string): Promise<void>;
  /** Registers a callback for each reconnection to the broker; returns its removal. */
  onReconnect(fn: () => void): () => void;
}

export interface NatsConsumer {
  stop(): Promise<void>;
  /** Ends the current pull session; the next reads the (rewound) consumer. */
  restart(): void;
}

interface Held {
  seq: number;
  reply: string;
  data: Uint8Array;
  /** The broker's count of messages not yet delivered, when this one was. */
  pending: number;
  /** When it was delivered or last said to be in progress (performance.now()). */
  touched: number;
}

/** A message in a run being handled; `event` when the service handles its type. */
interface Item {
  h: Held;
  event?: CloudEvent | undefined;
}

type SessionEnd = 'stopped' | 'restart' | 'lost' | 'failed';

export function startNatsConsumer(o: NatsConsumerOptions): NatsConsumer {
  const stopping = new AbortController();
  let endSession: ((why: SessionEnd) => void) | undefined;
  const nc = o.connection;
  const lease = leaseSql(o.producer, o.owner, o.leaseMs);

  /** One pull session under the lease: until stopped, restarted, the lease lost or the broker failing. */
  async function session(generation: number, since: number): Promise<SessionEnd> {
    const durable = durableName(o.service, generation);
    await o.ensureConsumer(durable);
    // Everything up to here was acknowledged: by this instance, by one before it, or skipped as not ours.
    let floor = (await o.jsm.consumers.info(o.stream, durable)).ack_floor.stream_seq;
    let ended: SessionEnd | undefined;
    // Ends waits: `arrived` the idle one (a message came), `over` every pause (the session ends).
    const over = new AbortController();
    let arrived = () => {};
    const finish = (why: SessionEnd) => {
      ended ??= why;
      over.abort();
      arrived();
    };
    const held = new Map<number, Held>();

    const publishQuietly = (subject: string, data: Uint8Array) => {
      try {
        nc.publish(subject, data);
      } catch {
        // The connection closed: what was not acknowledged comes back after ack_wait.
      }
    };

    // Pull requests: another goes out once less than half a batch is still asked for, so messages keep
    // flowing while a batch is handled. The broker sends messages under their own subjects (to our
    // subscription), and a status when a request ends unfilled, with how many it still had.
    const inbox = createInbox();
    let asked = 0;
    let pullTimer: NodeJS.Timeout | undefined;
    const pull = () => {
      if (ended || asked > PULL_BATCH / 2) return;
      asked += PULL_BATCH;
      clearTimeout(pullTimer);
      // Requests lost with the broker (a restart) are replaced once they should have ended.
      pullTimer = setTimeout(() => {
        asked = 0;
        pull();
      }, PULL_EXPIRES_MS + 2_000);
      pullTimer.unref();
      try {
        nc.publish(
          `$JS.API.CONSUMER.MSG.NEXT.${o.stream}.${durable}`,
          JSON.stringify({ batch: PULL_BATCH, expires: PULL_EXPIRES_MS * 1_000_000 }),
          { reply: inbox },
        );
      } catch (err) {
        o.log.warn({ err, producer: o.producer }, 'could not pull from JetStream');
        finish('failed');
      }
    };
    const sub: NatsSubscription = nc.subscribe(inbox, {
      callback: (err, msg) => {
        if (err) return finish('failed');
        const delivered = msg.reply ? ackInfo(msg.reply) : undefined;
        if (!delivered) return onStatus(msg);
        asked--;
        const prior = held.get(delivered.seq);
        // A copy of a message already acknowledged (a lost ack) or already here (redelivered): the newest reply counts.
        if (delivered.seq <= floor) publishQuietly(msg.reply!, ACK);
        else held.set(delivered.seq, { ...delivered, reply: msg.reply!, data: msg.data, touched: performance.now() });
        pull();
        if (!prior) arrived();
      },
    });
    const onStatus = (msg: Msg) => {
      const code = msg.headers?.code ?? 0;
      const description = msg.headers?.description ?? '';
      if (code === 100) return; // an idle heartbeat
      if (code === 408 || code === 404) {
        // A request ran out: what it still asked for is no longer coming.
        const unfilled = Number(msg.headers?.get('Nats-Pending-Messages'));
        asked = unfilled > 0 ? Math.max(0, asked - unfilled) : 0;
        if (held.size === 0) o.metrics.consumerLag.set({ producer: o.producer }, 0);
        return pull();
      }
      if (code === 409 && /deleted/i.test(description)) return finish('restart'); // a replay replaced it
      o.log.warn({ producer: o.producer, code, description }, 'JetStream ended a pull request');
      finish('failed');
    };
    const offReconnect = o.onReconnect(() => {
      asked = 0;
      pull();
    });
    endSession = finish;
    const onStop = () => finish('stopped');
    stopping.signal.addEventListener('abort', onStop);
    if (stopping.signal.aborted) onStop();
    const keeper = keepLease({
      leaseMs: o.leaseMs,
      since,
      renew: () => lease.renew(o.db, generation),
      onLost: () => finish('lost'),
      onRenewFailed: (err) => o.log.debug({ err, producer: o.producer }, 'renewing the NATS consumer lease failed'),
    });

    // What is held stays ours while it waits or is handled: the broker would hand it out again after ack_wait.
    const beatEveryMs = Math.max(100, Math.floor(o.ackWaitMs / 3));
    const beat = setInterval(() => {
      const now = performance.now();
      for (const h of held.values()) {
        if (now - h.touched < beatEveryMs) continue;
        h.touched = now;
        publishQuietly(h.reply, WORKING);
      }
    }, beatEveryMs);
    beat.unref();

    const ack = (h: Held) => {
      publishQuietly(h.reply, ACK);
      held.delete(h.seq);
      floor = Math.max(floor, h.seq);
    };
    // Committed and acknowledged, or the session ends (the rest is handed back below).
    const fence: Within = (guard) => lease.fence(generation, guard);
    // The fence (in the inbox statement) locks the lease row from the transaction's first statement to
    // its commit: the keeper holds its renewals back meanwhile (sent, they would only wait for the lock),
    // and a transaction that committed the fence renewed the lease itself: every outcome but these did.
    const deliverBatch = (events: CloudEvent[]) =>
      keeper.hold(
        () => o.handling.deliverBatch(events, fence),
        (r) => r === 'handled',
      );
    const deliver = (event: CloudEvent) =>
      keeper.hold(
        () => o.handling.deliver(event, fence),
        (r) => r.kind !== 'retry' && r.kind !== 'lost',
      );

    /** Handles a run of consecutive messages from floor + 1; false when the session must end. */
    async function handle(run: Held[]): Promise<boolean> {
      let items: Item[] = [];
      for (const h of run) {
        const event = parseEnvelope(safeJson(h.data));
        if (event) {
          // Not ours: acknowledged in its place in the stream, unhandled.
          items.push({ h, event: o.types.has(event.type) ? event : undefined });
          continue;
        }
        if (!(await handleItems(items))) return false;
        items = [];
        // Parked with its raw text before the broker forgets it: nothing accepted is dropped unseen.
        const parked = await retrying(() =>
          o.handling.parkUndeliverable(undeliverable(o.stream, h.seq, h.data), 'not a CloudEvent 1.0 in structured JSON'),
        );
        if (!parked) return false;
        publishQuietly(h.reply, TERM);
        held.delete(h.seq);
        floor = Math.max(floor, h.seq);
      }
      if (!(await handleItems(items))) return false;
      o.metrics.consumerLag.set({ producer: o.producer }, run.at(-1)!.pending);
      return true;
    }

    /**
     * In one transaction if it can; else one at a time until an event that failed is through
     * (retried in place, or parked), and the ones behind it as a batch again.
     */
    async function handleItems(items: readonly Item[]): Promise<boolean> {
      let rest = items;
      while (rest.length > 0) {
        const events = rest.flatMap((i) => (i.event ? [i.event] : []));
        if (events.length > 1) {
          const outcome = await deliverBatch(events);
          if (outcome === 'lost') return false;
          if (outcome === 'handled') {
            for (const i of rest) ack(i.h);
            return true;
          }
        }
        let next = rest.length;
        for (let at = 0; at < rest.length; at++) {
          const { h, event } = rest[at]!;
          const result = event ? await deliverOne(event) : 'handled';
          if (result === 'ended') return false;
          ack(h);
          if (result === 'retried') {
            next = at + 1;
            break;
          }
        }
        rest = rest.slice(next);
      }
      return true;
    }

    /** One event until it is handled, skipped or parked ('retried' if it failed on the way), or the session ends. */
    async function deliverOne(event: CloudEvent): Promise<'handled' | 'retried' | 'ended'> {
      for (let failed = false; ; failed = true) {
        const outcome = await deliver(event).catch((err: unknown) => {
          // The database is away: nothing was recorded, so try this event again soon.
          o.log.warn({ err, event_id: event.id }, 'could not handle an event; trying again');
          return { kind: 'retry' as const, delayMs: 1_000, error: String(err) };
        });
        if (outcome.kind === 'lost') return 'ended';
        if (outcome.kind !== 'retry') return failed ? 'retried' : 'handled';
        // In place: nothing behind it goes first, so a key's later events never overtake it.
        await sleep(outcome.delayMs);
        if (ended) return 'ended';
      }
    }

    async function retrying(work: () => Promise<void>): Promise<boolean> {
      for (let failures = 1; ; failures++) {
        try {
          await work();
          return true;
        } catch (err) {
          if (failures === 1) o.log.warn({ err, producer: o.producer }, 'could not park an undeliverable message; retrying');
          await sleep(failurePause(failures));
          if (ended) return false;
        }
      }
    }

    const sleep = (ms: number) => pause(ms, over.signal);
    /** Until a message arrives, `ms` pass (if given) or the session ends. */
    const nextArrival = (ms?: number) =>
      new Promise<void>((resolve) => {
        const timer = ms === undefined ? undefined : setTimeout(() => arrived(), ms);
        arrived = () => {
          clearTimeout(timer);
          arrived = () => {};
          resolve();
        };
        if (ended) arrived();
      });

    try {
      pull();
      /** When the current run began waiting for the rest of a burst (performance.now()). */
      let gatheringSince: number | undefined;
      while (!ended) {
        const run: Held[] = [];
        for (let s = floor + 1; run.length < MAX_BATCH; s++) {
          const h = held.get(s);
          if (!h) break;
          run.push(h);
        }
        if (run.length > 0) {
          // The rest of a burst is on its way (the broker said so as it sent the last message): wait a moment
          // for it, so that it goes in this transaction rather than in several small ones after it.
          if (gathers(run, asked, held.size)) {
            gatheringSince ??= performance.now();
            const left = GATHER_MS - (performance.now() - gatheringSince);
            if (left > 0) {
              await nextArrival(left);
              continue;
            }
          }
          gatheringSince = undefined;
          if (!(await handle(run)) && !ended) finish('lost');
          continue;
        }
        // Nothing next in line. Either nothing is here, or what is here waits for an earlier message.
        const gap = held.size > 0;
        await nextArrival(gap ? GAP_RECHECK_MS : undefined);
        if (gap && !ended && !held.has(floor + 1)) {
          // Acknowledged elsewhere meanwhile (a previous holder, a lost ack of ours) or removed from the stream.
          const server = (await o.jsm.consumers.info(o.stream, durable)).ack_floor.stream_seq;
          if (server > floor) {
            for (const s of held.keys()) if (s <= server) held.delete(s);
            floor = server;
          }
        }
      }
    } finally {
      endSession = undefined;
      stopping.signal.removeEventListener('abort', onStop);
      clearTimeout(pullTimer);
      clearInterval(beat);
      offReconnect();
      keeper.stop();
      // The broker forgets our pull requests once it has the unsubscribe; what it sent before arrives first.
      await sub.drain().catch(() => undefined);
      // Handed back in stream order, so the next puller (this instance or another) gets them first, in order.
      for (const h of [...held.values()].sort((a, b) => a.seq - b.seq)) publishQuietly(h.reply, NAK);
      held.clear();
      await nc.flush().catch(() => undefined);
    }
    return ended ?? 'stopped';
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        const since = performance.now();
        const generation = await lease.claim(o.db);
        if (generation === undefined) {
          await pause(o.leaseMs / 3, stopping.signal); // another instance pulls this stream
          continue;
        }
        const ended = await session(generation, since);
        if (ended === 'stopped') break;
        if (ended === 'failed') throw new Error('the pull session failed');
        failures = 0;
      } catch (err) {
        if (stopping.signal.aborted) break;
        failures++;
        if (failures === 1) o.log.warn({ err, stream: o.stream }, 'JetStream consumer failed; retrying');
        await pause(failurePause(failures), stopping.signal);
      }
    }
    // Hand the stream to another instance at once rather than after the lease runs out.
    await lease.release(o.db).catch(() => undefined);
  })();

  return {
    async stop() {
      stopping.abort();
      endSession?.('stopped');
      await loop;
    },
    restart() {
      endSession?.('restart');
    },
  };
}

/**
 * Whether a run (consecutive messages from the ack floor, in stream order) should wait for more before it
 * is handled: the last message said the stream held more not yet delivered (`pending`), the run has room,
 * and the broker will send them (a pull request still asks for messages, and fewer than max_ack_pending
 * are out with us). At a steady rate each message arrives alone with nothing pending: it never waits.
 */
export function gathers(run: readonly { pending: number }[], asked: number, heldCount: number): boolean {
  return run.length < MAX_BATCH && run.at(-1)!.pending > 0 && asked > 0 && heldCount < MAX_ACK_PENDING;
}

/** Stream sequence and pending count from a JetStream ack subject ($JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>, or with domain and account). */
export function ackInfo(reply: string): { seq: number; pending: number } | undefined {
  if (!reply.startsWith('$JS.ACK.')) return undefined;
  const t = reply.split('.');
  const at = t.length === 9 ? 5 : t.length >= 11 ? 7 : -1;
  if (at < 0) return undefined;
  return { seq: Number(t[at]), pending: Number(t[at + 3]) };
}

function undeliverable(stream: string, seq: number, data: Uint8Array): CloudEvent {
  return {
    specversion: '1.0',
    id: `${stream}:${seq}`,
    source: `urn:souk:nats:${stream}`,
    type: 'souk.undeliverable',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: new TextDecoder().decode(data),
  };
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}
