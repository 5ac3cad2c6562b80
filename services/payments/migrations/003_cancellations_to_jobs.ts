// The cancellations ShipmentFailed asked for become chassis jobs (souk_job,
// kind payments.cancel-order, keyed by order id; the chassis' migrations,
// which create souk_job, run before the service's): every row is moved over,
// with its status, attempts, due time, live lease and last error, and the
// payment_cancellations table is dropped.

import type { MigrationDb } from '@souk/chassis';
import { sql } from 'kysely';

export async function up(db: MigrationDb): Promise<void> {
  await sql`
    insert into souk_job (id, kind, job_key, payload, status, attempts, next_attempt_at, lease_owner, lease_until,
                          attempted_by, last_error, created_at, updated_at, finished_at)
    select gen_random_uuid()::text, 'payments.cancel-order', order_id::text,
           jsonb_build_object('orderId', order_id::text, 'eventId', event_id, 'reason', reason),
           status, attempts, next_attempt_at,
           case when claimed_until > clock_timestamp() then claimed_by end,
           case when claimed_until > clock_timestamp() then claimed_until end,
           claimed_by, last_error, created_at, updated_at, case when status = 'DONE' then updated_at end
      from payment_cancellations`.execute(db);
  await db.schema.dropTable('payment_cancellations').execute();
}
