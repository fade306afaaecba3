import type { PartnerActivationsTable, PartnerActivitiesTable, PartnerAgreementsTable, PartnerLinksTable, PartnersTable } from '../schema.js';

export const CHANNELS = ['points_mall', 'joint', 'membership'] as const;
/** Where a partner can be offered: the points mall (catalog items of its pools), joint products, a plan's benefits. */
export type Channel = (typeof CHANNELS)[number];

export interface AgreementRules {
  /** Plan (or joint product) codes the partner may not be a benefit of. */
  forbidPrograms?: string[];
  /** Channels the partner may not be offered through. */
  forbidChannels?: Channel[];
  /** Only through procurement (pools, the points mall): no partner_membership benefit, no joint product. */
  procurementOnly?: boolean;
}

export type AgreementKind = 'co_brand' | 'procurement';
export type ActivationStatus = 'awaiting_link' | 'requested' | 'confirmed' | 'rejected' | 'failed' | 'closed';
export const ACTIVATION_STATUSES: ActivationStatus[] = ['awaiting_link', 'requested', 'confirmed', 'rejected', 'failed', 'closed'];
export const ACTIVITY_KINDS = ['became_active', 'active'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export interface Partner {
  id: string;
  code: string;
  name: string;
  requiresAccountLink: boolean;
  createdAt: string;
}

export interface Agreement {
  id: string;
  partnerId: string;
  kind: AgreementKind;
  revenueTerms: Record<string, unknown> | null;
  rules: AgreementRules;
  validFrom: string;
  validUntil: string | null;
  note: string | null;
  /** In force now. */
  active: boolean;
  createdAt: string;
}

export interface Activation {
  entitlementId: string;
  partnerId: string;
  memberId: string;
  benefitId: string;
  status: ActivationStatus;
  /** Requests sent in the current round. */
  attempts: number;
  /** Rounds an operator started again. */
  retries: number;
  nextAttemptAt: string | null;
  lastRequestedAt: string | null;
  partnerReference: string | null;
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PartnerLink {
  id: string;
  partnerId: string;
  memberId: string;
  status: 'pending' | 'confirmed' | 'superseded';
  partnerUserId: string | null;
  tokenExpiresAt: string;
  createdAt: string;
  confirmedAt: string | null;
}

/** What a partner sees of a member linked to it: no more than it needs. */
export interface LinkedMember {
  partnerUserId: string;
  memberId: string;
  linkedAt: string;
  memberships: Array<{ entitlementId: string; status: ActivationStatus; partnerReference: string | null }>;
}

export interface Activity {
  id: string;
  partnerId: string;
  memberId: string;
  kind: ActivityKind;
  occurredAt: string;
  reportedAt: string;
  externalId: string | null;
}

export const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(Number(ms)));

export function toPartner(row: PartnersTable): Partner {
  return { id: row.id, code: row.code, name: row.name, requiresAccountLink: row.requires_account_link === 1, createdAt: iso(row.created_at) };
}

export function agreementInForce(row: PartnerAgreementsTable, at: number): boolean {
  return Number(row.valid_from) <= at && (row.valid_until === null || Number(row.valid_until) > at);
}

export function toAgreement(row: PartnerAgreementsTable, now: number): Agreement {
  return {
    id: row.id,
    partnerId: row.partner_id,
    kind: row.kind as AgreementKind,
    revenueTerms: row.revenue_terms === null ? null : (JSON.parse(row.revenue_terms) as Record<string, unknown>),
    rules: JSON.parse(row.rules) as AgreementRules,
    validFrom: iso(Number(row.valid_from)),
    validUntil: isoOrNull(row.valid_until),
    note: row.note,
    active: agreementInForce(row, now),
    createdAt: iso(row.created_at),
  };
}

export function toActivation(row: PartnerActivationsTable): Activation {
  return {
    entitlementId: row.entitlement_id,
    partnerId: row.partner_id,
    memberId: row.member_id,
    benefitId: row.benefit_id,
    status: row.status as ActivationStatus,
    attempts: row.attempts,
    retries: row.retries,
    nextAttemptAt: isoOrNull(row.next_attempt_at),
    lastRequestedAt: isoOrNull(row.last_requested_at),
    partnerReference: row.partner_reference,
    reason: row.reason,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function toLink(row: PartnerLinksTable): PartnerLink {
  return {
    id: row.id,
    partnerId: row.partner_id,
    memberId: row.member_id,
    status: row.status as PartnerLink['status'],
    partnerUserId: row.partner_user_id,
    tokenExpiresAt: iso(Number(row.token_expires_at)),
    createdAt: iso(row.created_at),
    confirmedAt: isoOrNull(row.confirmed_at),
  };
}

export function toActivity(row: PartnerActivitiesTable): Activity {
  return {
    id: row.id,
    partnerId: row.partner_id,
    memberId: row.member_id,
    kind: row.kind as ActivityKind,
    occurredAt: iso(Number(row.occurred_at)),
    reportedAt: iso(Number(row.reported_at)),
    externalId: row.external_id,
  };
}
