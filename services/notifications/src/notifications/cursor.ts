// The `before` paging cursor of the notification list: the chassis keyset cursor over
// (createdAt, id) of a page's last item.

import { encodeKeysetCursor, keysetBefore } from '@souk/chassis';
import { errors } from '../errors.ts';

export interface Position {
  createdAt: Date;
  id: string;
}

export function encodeCursor(position: Position): string {
  return encodeKeysetCursor({ at: position.createdAt, id: position.id });
}

/** The position `before` names: undefined for the first page, a 400 for a cursor this service did not make. */
export function positionBefore(before: string | undefined): Position | undefined {
  const key = keysetBefore(before, (detail) => errors.cursorInvalid({ detail, extensions: { before } }));
  return key && { createdAt: key.at, id: key.id };
}
