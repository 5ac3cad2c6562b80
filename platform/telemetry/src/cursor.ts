// Keyset paging for "newest first" lists: the (time, id) of a page's last row, opaque to clients, so the
// next page starts strictly after it even when rows share a time.

export interface Position {
  /** Microseconds since the epoch: spans and log lines keep microseconds, a Date would round them. */
  atUs: number;
  id: string;
}

const ID = /^[0-9a-f]{1,32}$/;

export function encodeCursor(position: Position): string {
  return Buffer.from(`${position.atUs}|${position.id}`, 'utf8').toString('base64url');
}

/** The position a cursor names, or undefined when it is not one `encodeCursor` made. */
export function decodeCursor(cursor: string): Position | undefined {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(cursor)) return undefined;
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || at === undefined || id === undefined || !/^\d{1,17}$/.test(at) || !ID.test(id)) return undefined;
  return { atUs: Number(at), id };
}
