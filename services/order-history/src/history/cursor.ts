// The `before` paging cursor of the history list: the chassis keyset cursor over
// (placedAt, orderId) of a page's last item.

import { encodeKeysetCursor, keysetBefore } from '@souk/chassis';
import { errors } from '../errors.ts';

export interface Position {
  placedAt: Date;
  orderId: string;
}

export function encodeCursor(position: Position): string {
  return encodeKeysetCursor({ at: position.placedAt, id: position.orderId });
}

/** The position `before` names: undefined for the first page, a 400 for a cursor this service did not make. */
export function positionBefore(before: string | undefined): Position | undefined {
  const key = keysetBefore(before, (detail) => errors.cursorInvalid({ detail, extensions: { before } }));
  return key && { placedAt: key.at, orderId: key.id };
}
