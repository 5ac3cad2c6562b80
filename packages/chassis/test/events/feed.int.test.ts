// The conformance suite on the embedded feed transport: no broker at all.

import { conformanceSuite } from './conformance.ts';

conformanceSuite({
  name: 'feed',
  env: () => ({}),
  cleanup: async () => {},
  async replay(s, consumer) {
    // A rewound cursor makes the feed serve everything again, every event already in the inbox.
    // Rewind with the consumer stopped: a running one would write its own position back.
    await consumer.stop();
    await s.consumerSql('update souk_feed_cursor set position = 0');
    return s.startConsumer();
  },
});
