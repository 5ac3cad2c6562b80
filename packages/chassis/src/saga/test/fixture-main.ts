// Runs the demo saga service as its own process so a test can SIGKILL it.
// FIXTURE_HANG_IN=<step> makes that step print "IN STEP <step> <sagaId>" and
// hang (until killed); SAGA_LEASE_MS sets the lease.

import { runService } from '../../service.ts';
import { demoService } from './fixture.ts';

const hangIn = process.env.FIXTURE_HANG_IN;
await runService(
  demoService({
    leaseMs: Number(process.env.SAGA_LEASE_MS ?? 15_000),
    timeoutMs: 60_000,
    async behaviour(ctx, phase) {
      if (phase !== 'run' || ctx.step !== hangIn) return;
      process.stdout.write(`IN STEP ${ctx.step} ${ctx.sagaId}\n`);
      await new Promise(() => {}); // until SIGKILL
    },
  }),
);
