import { ApiError, get, query, type Page } from './api.js';
import type { Member } from './types.js';

/** A member by id (mem_…) or by externalId; null when there is none. */
export async function findMember(text: string): Promise<Member | null> {
  const wanted = text.trim();
  if (/^mem_[0-9A-Z]{26}$/.test(wanted)) {
    try {
      return await get<Member>(`/v1/members/${wanted}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }
  const page = await get<Page<Member>>(`/v1/members${query({ externalId: wanted })}`);
  return page.data[0] ?? null;
}
