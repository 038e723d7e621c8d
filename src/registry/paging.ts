/** Following `next_page_token` through a search. */
import type { Page } from './schemas.ts';

/** Collects pages until there is no next token or `limit` items are in hand. */
export async function collectPages<T>(fetchPage: (pageToken: string | undefined) => Promise<Page<T>>, limit = Infinity): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    items.push(...page.items);
    token = page.nextPageToken;
  } while (token && items.length < limit);
  return items.slice(0, limit);
}
