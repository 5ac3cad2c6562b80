// HTTP routes of reservations, for other services only, each for its own
// capability (inventory:reserve, :release, :commit, :reservations:read): the
// checkout saga reserves, commits or releases stock under an id it chooses.

import type { Capability, ServiceContext } from '@souk/chassis';
import { API_PREFIX, ReleaseBody, Reservation, ReservationParams, ReserveBody } from '../../contract.ts';
import type { ReservationCommands } from './reservation-commands.ts';

export function registerReservationRoutes(ctx: ServiceContext, commands: ReservationCommands): void {
  const { app } = ctx;
  const may = (capability: Capability) => ctx.auth.required({ scopes: [capability] });
  const tags = ['reservations'];
  const path = `${API_PREFIX}/reservations/:reservationId`;

  app.put(
    path,
    {
      onRequest: may('inventory:reserve'),
      schema: {
        summary: 'Reserve units for an order, all lines or none (idempotent by id)',
        tags,
        params: ReservationParams,
        body: ReserveBody,
        response: { 200: Reservation, 201: Reservation },
      },
    },
    async (request, reply) => {
      const { created, reservation } = await commands.reserve(request.params.reservationId, request.body);
      if (created) reply.header('location', `${API_PREFIX}/reservations/${reservation.id}`);
      return reply.code(created ? 201 : 200).send(reservation);
    },
  );

  app.post(
    `${path}/release`,
    {
      onRequest: may('inventory:release'),
      schema: {
        summary: 'Give the units back (idempotent; an unknown id is recorded as released)',
        tags,
        params: ReservationParams,
        body: ReleaseBody,
        response: { 200: Reservation },
      },
    },
    async (request) => commands.release(request.params.reservationId, request.body?.reason),
  );

  app.post(
    `${path}/commit`,
    {
      onRequest: may('inventory:commit'),
      schema: {
        summary: 'The held units leave the stock for good (idempotent)',
        tags,
        params: ReservationParams,
        response: { 200: Reservation },
      },
    },
    async (request) => commands.commit(request.params.reservationId),
  );

  app.get(
    path,
    {
      onRequest: may('inventory:reservations:read'),
      schema: { summary: 'A reservation', tags, params: ReservationParams, response: { 200: Reservation } },
    },
    async (request) => commands.get(request.params.reservationId),
  );
}
