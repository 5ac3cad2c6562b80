// The `before` paging cursor of the history list: the chassis keyset cursor over
// (placedAt, orderId) of a page's last item.

import { decodeKeysetCursor, encodeKeysetCursor } from '@souk/chassis';

export interface Position {
  placedAt: Date;
  orderId: string;
}

export function encodeCursor(position: Position): string {
  return encodeKeysetCursor({ at: position.placedAt, id: position.orderId });
}

/** The position a cursor names, or undefined when it is not one this service made. */
export function decodeCursor(cursor: string): Position | undefined {
  const key = decodeKeysetCursor(cursor);
  return key && { placedAt: key.at, orderId: key.id };
}
