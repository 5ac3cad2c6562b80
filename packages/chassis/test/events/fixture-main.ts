// Runs a conformance fixture as its own process, so tests can kill it with
// SIGKILL: FIXTURE_ROLE=producer|consumer, FIXTURE_PRODUCER, FIXTURE_CONSUMER,
// FIXTURE_HANG_AT=n makes the consumer print "HANDLING n" and hang inside the
// handler of tick n (before its transaction commits).

import { runService } from '../../src/index.ts';
import { consumerService, producerService, tickedEvent } from './fixtures.ts';

const env = process.env;
const producer = env.FIXTURE_PRODUCER!;
if (env.FIXTURE_ROLE === 'producer') {
  await runService(producerService(producer));
} else {
  const hangAt = env.FIXTURE_HANG_AT ? Number(env.FIXTURE_HANG_AT) : undefined;
  await runService(
    consumerService(env.FIXTURE_CONSUMER!, tickedEvent(producer), {
      poisonFails: () => true,
      async inHandler(n) {
        if (n !== hangAt) return;
        process.stdout.write(`HANDLING ${n}\n`);
        await new Promise(() => {}); // hang until killed
      },
    }),
  );
}
