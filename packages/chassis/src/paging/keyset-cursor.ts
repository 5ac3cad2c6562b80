// The paging cursor of "newest first" lists: the (time, id) of a page's last
// item, opaque to clients, so the next page starts strictly after it even when
// several items share a time (keyset paging, no OFFSET).

/** Where a page ended: the time and the UUID of its last item. */
export interface KeysetPosition {
  at: Date;
  id: string;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The cursor clients pass back to get the page after `position`. */
export function encodeKeysetCursor(position: KeysetPosition): string {
  return Buffer.from(`${position.at.toISOString()}|${position.id}`, 'utf8').toString('base64url');
}

/**
 * The position a `before` query parameter names: undefined for the first
 * page, `invalid(detail)` thrown (the service's own 400) for a cursor this
 * service did not make.
 */
export function keysetBefore(before: string | undefined, invalid: (detail: string) => Error): KeysetPosition | undefined {
  if (before === undefined) return undefined;
  const position = decodeKeysetCursor(before);
  if (!position) throw invalid('before is not a cursor this service gave out (use nextBefore of the previous page).');
  return position;
}

/** The position a cursor names, or undefined when it is not one `encodeKeysetCursor` made (tampered, truncated, foreign). */
export function decodeKeysetCursor(cursor: string): KeysetPosition | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const [time, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || time === undefined || id === undefined || !ISO.test(time) || !UUID.test(id)) return undefined;
  const at = new Date(time);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== time) return undefined;
  return { at, id: id.toLowerCase() };
}
