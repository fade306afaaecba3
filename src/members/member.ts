import type { MembersTable } from '../schema.js';

export interface Member {
  id: string;
  externalId: string;
  displayName: string | null;
  pointsBalance: number;
  loyaltyScore: number;
  createdAt: string;
  updatedAt: string;
}

export function toMember(row: MembersTable, pointsBalance: number, loyaltyScore = 0): Member {
  return {
    id: row.id,
    externalId: row.external_id,
    displayName: row.display_name,
    pointsBalance,
    loyaltyScore,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
