import type { BenefitsTable, EntitlementEventsTable, EntitlementsTable } from '../schema.js';

export type BenefitKind = 'partner_membership' | 'discount' | 'points_grant' | 'pool_code';
export const BENEFIT_KINDS: BenefitKind[] = ['partner_membership', 'discount', 'points_grant', 'pool_code'];

export interface BenefitConfig {
  partner?: string;
  membership?: string;
  /** Discount in basis points: 500 = 5%. */
  percentBp?: number;
  merchants?: string[];
  categories?: string[];
  /** Cap of one discount, in minor units. */
  maxDiscount?: { amount: number; currency: string };
  points?: number;
  poolId?: string;
}

export interface Benefit extends BenefitConfig {
  id: string;
  code: string;
  name: string;
  kind: BenefitKind;
  createdAt: string;
}

/** activation_failed: a partner membership its partner never confirmed (src/partners retries, then an operator acts). */
export type EntitlementStatus = 'pending' | 'fulfilled' | 'failed' | 'revoked' | 'activation_failed';

export interface EntitlementEvent {
  status: string;
  note: string;
  createdAt: string;
}

export interface Entitlement {
  id: string;
  memberId: string;
  subscriptionId: string;
  periodId: string;
  benefitId: string;
  kind: BenefitKind;
  status: EntitlementStatus;
  validFrom: string;
  validUntil: string;
  detail: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  history?: EntitlementEvent[];
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toBenefit(row: BenefitsTable): Benefit {
  return { id: row.id, code: row.code, name: row.name, kind: row.kind as BenefitKind, ...(JSON.parse(row.config) as BenefitConfig), createdAt: iso(row.created_at) };
}

export function toEntitlement(row: EntitlementsTable, events?: EntitlementEventsTable[]): Entitlement {
  return {
    id: row.id,
    memberId: row.member_id,
    subscriptionId: row.subscription_id,
    periodId: row.period_id,
    benefitId: row.benefit_id,
    kind: row.kind as BenefitKind,
    status: row.status as EntitlementStatus,
    validFrom: iso(row.valid_from),
    validUntil: iso(row.valid_until),
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    ...(events ? { history: events.map((e) => ({ status: e.status, note: e.note, createdAt: iso(e.created_at) })) } : {}),
  };
}

/** Whether a discount benefit covers a purchase at this merchant or in this category. */
export function discountCovers(config: BenefitConfig, merchant: string | undefined, category: string | undefined): boolean {
  const merchants = config.merchants ?? [];
  const categories = config.categories ?? [];
  if (merchants.length === 0 && categories.length === 0) return true;
  return (merchant !== undefined && merchants.includes(merchant)) || (category !== undefined && categories.includes(category));
}

/** The discount on `amount`, rounded down, within the benefit's cap. */
export function discountOn(config: BenefitConfig, amount: number, currency: string): number {
  const raw = Number((BigInt(amount) * BigInt(config.percentBp ?? 0)) / 10_000n);
  const cap = config.maxDiscount && config.maxDiscount.currency === currency ? config.maxDiscount.amount : Infinity;
  return Math.min(raw, cap);
}
