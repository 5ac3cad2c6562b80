// The `before` paging cursor of the order list: the chassis keyset cursor over
// (createdAt, id) of a page's last item.

import { decodeKeysetCursor, encodeKeysetCursor } from '@souk/chassis';

export interface Position {
  createdAt: Date;
  id: string;
}

export function encodeCursor(position: Position): string {
  return encodeKeysetCursor({ at: position.createdAt, id: position.id });
}

/** The position a cursor names, or undefined when it is not one this service made. */
export function decodeCursor(cursor: string): Position | undefined {
  const key = decodeKeysetCursor(cursor);
  return key && { createdAt: key.at, id: key.id };
}
