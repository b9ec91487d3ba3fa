import { ApiKeyService, type ApiKey } from '@gatekeeper/api-auth';
import { Inject, Injectable } from '@nestjs/common';
import { KEY_OWNERS, type KeyOwners } from './key-owners';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface KeyPageRequest {
  /** Only this owner's keys; every key when absent. */
  ownerId?: string;
  /** At most this many keys (default 50). */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/** Keys ordered by owner id, then creation time; `nextCursor` is `null` on the last page. */
export interface KeyPage {
  items: ApiKey[];
  nextCursor: string | null;
}

/** A cursor this listing did not issue, or one issued for another owner. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/** Every key, on a backend the stopgap in key-owners.ts cannot enumerate (memory). */
export class KeyListingUnavailableError extends Error {
  override readonly name = 'KeyListingUnavailableError';
}

/** Where a page ended: the owner, creation time (ms) and id of its last key. */
type Position = [ownerId: string, createdAt: number, id: string];

/**
 * Pages through API keys for GET /admin/keys and `npm run keys -- list`: keyset pagination over
 * (ownerId, createdAt, id), so keys created or revoked meanwhile never shift a page.
 */
@Injectable()
export class KeyListing {
  constructor(
    private readonly apiKeys: ApiKeyService,
    @Inject(KEY_OWNERS) private readonly owners: KeyOwners | null,
  ) {}

  async page({ ownerId, limit = DEFAULT_PAGE_SIZE, cursor }: KeyPageRequest): Promise<KeyPage> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (after && ownerId !== undefined && after[0] !== ownerId) {
      throw new InvalidCursorError('cursor belongs to a listing of another owner');
    }
    const owners = ownerId === undefined ? await this.allOwners() : [ownerId];
    owners.sort(compareText);

    const items: ApiKey[] = [];
    for (const owner of owners) {
      if (after && compareText(owner, after[0]) < 0) continue;
      const keys: ApiKey[] = [];
      for await (const apiKey of this.apiKeys.listByOwner(owner)) keys.push(apiKey);
      keys.sort((a, b) => comparePosition(position(a), position(b)));
      for (const apiKey of keys) {
        if (after && comparePosition(position(apiKey), after) <= 0) continue;
        if (items.length === limit) return { items, nextCursor: encodeCursor(items.at(-1)!) };
        items.push(apiKey);
      }
    }
    return { items, nextCursor: null };
  }

  private async allOwners(): Promise<string[]> {
    if (!this.owners) {
      throw new KeyListingUnavailableError(
        'listing every key is not available on the memory backend: give an ownerId',
      );
    }
    return this.owners.ownerIds();
  }
}

function position(apiKey: ApiKey): Position {
  return [apiKey.ownerId, new Date(apiKey.createdAt).getTime(), apiKey.id];
}

/** By code unit, like SQL `COLLATE "C"`: the same order whatever the locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePosition(a: Position, b: Position): number {
  return compareText(a[0], b[0]) || a[1] - b[1] || compareText(a[2], b[2]);
}

function encodeCursor(apiKey: ApiKey): string {
  return Buffer.from(JSON.stringify(position(apiKey))).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 3 ||
    typeof decoded[0] !== 'string' ||
    typeof decoded[1] !== 'number' ||
    typeof decoded[2] !== 'string'
  ) {
    throw new InvalidCursorError('cursor must be the nextCursor of a previous page');
  }
  return decoded as Position;
}
