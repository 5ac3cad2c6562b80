// The conformance suite on the embedded feed transport: no broker at all.

import { conformanceSuite } from './conformance.ts';

conformanceSuite({
  name: 'feed',
  env: () => ({}),
  cleanup: async () => {},
  async replay(s) {
    // Rewinding the cursor makes the feed serve everything again, every event already in the inbox.
    await s.consumerSql('update souk_feed_cursor set position = 0');
  },
});
