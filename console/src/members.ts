import { ApiError, get, query, type Page } from './api.js';
import type { Member } from './types.js';

export const SCAN_PAGES = 50;

/**
 * A member by id (mem_…) or by externalId. The API has no look-up by externalId yet, so when
 * it refuses the filter the newest members are scanned page by page (up to SCAN_PAGES × 100).
 */
export async function findMember(text: string): Promise<{ member: Member | null; scanned?: number }> {
  const wanted = text.trim();
  if (/^mem_[0-9A-Z]{26}$/.test(wanted)) {
    try {
      return { member: await get<Member>(`/v1/members/${wanted}`) };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return { member: null };
      throw e;
    }
  }
  try {
    const page = await get<Page<Member>>(`/v1/members${query({ externalId: wanted, limit: 1 })}`);
    return { member: page.data.find((m) => m.externalId === wanted) ?? null };
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 400) throw e;
  }
  let after: string | undefined;
  let scanned = 0;
  for (let i = 0; i < SCAN_PAGES; i++) {
    const page = await get<Page<Member>>(`/v1/members${query({ limit: 100, startingAfter: after })}`);
    scanned += page.data.length;
    const found = page.data.find((m) => m.externalId === wanted);
    if (found) return { member: found, scanned };
    if (!page.hasMore) return { member: null };
    after = page.data[page.data.length - 1]?.id;
  }
  return { member: null, scanned };
}
