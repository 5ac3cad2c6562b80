// The NATS transport of the event tests that need no replay of their own: the machine's server
// (127.0.0.1:4222, or SOUK_TEST_NATS_URL), each scenario's stream removed afterwards.
// nats.int.test.ts builds its own, with a replay and a private server.

import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { streamName } from '../../src/index.ts';
import type { Transport } from './harness.ts';

export const NATS_URL = process.env.SOUK_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export const natsTransport: Transport = {
  name: 'nats',
  env: () => ({ NATS_URL }),
  async cleanup(producer) {
    const nc = await connect({ servers: NATS_URL });
    try {
      await (await jetstreamManager(nc)).streams.delete(streamName(producer));
    } finally {
      await nc.close();
    }
  },
  replay: async (_s, c) => c,
};
