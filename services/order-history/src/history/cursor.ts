// The `before` paging cursor of the history list: the (placedAt, orderId) of
// a page's last order, opaque to clients, so the next page starts strictly
// after it even when several orders share a time.

import { UUID_PATTERN } from '../../contract.ts';

export interface Position {
  placedAt: Date;
  orderId: string;
}

const UUID = new RegExp(UUID_PATTERN);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function encodeCursor(position: Position): string {
  return Buffer.from(`${position.placedAt.toISOString()}|${position.orderId}`, 'utf8').toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this service made. */
export function decodeCursor(cursor: string): Position | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const [time, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || time === undefined || id === undefined || !ISO.test(time) || !UUID.test(id)) return undefined;
  const placedAt = new Date(time);
  if (Number.isNaN(placedAt.getTime()) || placedAt.toISOString() !== time) return undefined;
  return { placedAt, orderId: id.toLowerCase() };
}
