// The `before` paging cursor: the (createdAt, id) of the last item of a page,
// opaque to clients, so the next page starts strictly after it even when
// several orders share a creation time.

import { UUID_PATTERN } from '../../contract.ts';

export interface Position {
  createdAt: Date;
  id: string;
}

const UUID = new RegExp(UUID_PATTERN);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function encodeCursor(position: Position): string {
  return Buffer.from(`${position.createdAt.toISOString()}|${position.id}`, 'utf8').toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this service made. */
export function decodeCursor(cursor: string): Position | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const [time, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || time === undefined || id === undefined || !ISO.test(time) || !UUID.test(id)) return undefined;
  const createdAt = new Date(time);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== time) return undefined;
  return { createdAt, id: id.toLowerCase() };
}
