// The shapes the console reads, as the API documents them (src/*/*-schemas.ts).

export interface Money {
  amount: number;
  currency: string;
}

export interface Member {
  id: string;
  externalId: string;
  displayName: string | null;
  pointsBalance: number;
  loyaltyScore: number;
  createdAt: string;
  updatedAt: string;
}

export interface PriceRule {
  minLoyaltyScore: number | null;
  amount: Money;
}

export interface Plan {
  id: string;
  code: string;
  name: string;
  term: string;
  currency: string;
  trial: string | null;
  version: number;
  versionId: string;
  prices: PriceRule[];
  benefitIds: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Quote {
  planId: string;
  planVersion: number;
  memberId: string;
  price: Money;
  rule: { index: number; minLoyaltyScore: number | null; description: string };
  loyaltyScore: number;
  quotedAt: string;
}

export type BenefitKind = 'partner_membership' | 'discount' | 'points_grant' | 'pool_code';

export interface Benefit {
  id: string;
  code: string;
  name: string;
  kind: BenefitKind;
  partner?: string;
  membership?: string;
  percentBp?: number;
  merchants?: string[];
  categories?: string[];
  maxDiscount?: Money;
  points?: number;
  poolId?: string;
  createdAt: string;
}

export interface Entitlement {
  id: string;
  memberId: string;
  subscriptionId: string;
  benefitId: string;
  kind: BenefitKind;
  status: 'pending' | 'fulfilled' | 'failed' | 'revoked';
  validFrom: string;
  validUntil: string;
  detail: Record<string, unknown>;
  createdAt: string;
}

export interface Pool {
  id: string;
  name: string;
  partnerId: string | null;
  supplier: string | null;
  unitCost: Money | null;
  lowStockThreshold: number | null;
  lowStock: boolean;
  createdAt: string;
  total: number;
  issued: number;
  available: number;
  expired: number;
  voided: number;
}

export interface Batch {
  id: string;
  poolId: string;
  supplier: string | null;
  partnerId: string | null;
  unitCost: Money | null;
  purchasedAt: string | null;
  expiresAt: string | null;
  duplicates: number;
  createdAt: string;
  total: number;
  issued: number;
  available: number;
  expired: number;
  voided: number;
}

export interface ImportResult {
  batchId: string;
  imported: number;
  duplicates: number;
}

export interface Reason {
  code: string;
  message: string;
}

export interface CatalogItem {
  id: string;
  name: string;
  description: string | null;
  pointsPrice: number;
  poolId: string;
  perMemberLimit: number | null;
  periodLimit: { count: number; period: 'day' | 'week' | 'month' } | null;
  timeZone: string;
  totalCap: number | null;
  redeemedCount: number;
  availableFrom: string | null;
  availableUntil: string | null;
  rolloutId: string | null;
  status: string;
  stock: number;
  createdAt: string;
  forMember?: { eligible: boolean; reasons: Reason[]; pointsBalance: number; redeemedByMember: number };
}

export type Stage = 'internal' | 'percentage' | 'everyone';

export interface RolloutStep {
  stage: Stage;
  percentage: number | null;
  startsAt: string;
  localTime: string | null;
  timeZone: string | null;
}

export interface Rollout {
  id: string;
  name: string;
  current: { stage: Stage | null; percentage: number | null; since: string | null };
  steps: RolloutStep[];
  allowlistSize: number;
  createdAt: string;
  updatedAt: string;
}

export interface Eligibility {
  rolloutId: string;
  memberId: string;
  eligible: boolean;
  reason: string;
  explanation: string;
  stage: Stage | null;
  percentage: number | null;
  bucket: number;
}

export interface Receipt {
  id: string;
  code: string;
  pointsSpent: number;
  memberId: string;
  itemId: string;
  transactionId: string;
  codeExpiresAt: string | null;
  createdAt: string;
}

export interface Redemption {
  id: string;
  memberId: string;
  itemId: string;
  poolId: string;
  codeId: string;
  maskedCode?: string;
  pointsSpent: number;
  status: string;
  createdAt: string;
  reversedAt: string | null;
}

export interface LedgerTransaction {
  id: string;
  memberId: string;
  kind: 'earn' | 'spend' | 'expire' | 'adjust' | 'reversal';
  points: number;
  reason: string;
  expiresAt: string | null;
  createdAt: string;
}

export interface PointsSummary {
  memberId: string;
  balance: number;
  nextExpiry: { points: number; expiresAt: string } | null;
}

export interface LoyaltyStatus {
  memberId: string;
  score: number;
  breakdown: {
    spend: number;
    orders: number;
    activity: number;
    adjustments: number;
    capped: number;
    netSpend: number;
    orderCount: number;
    activeDays: number;
    windowStart: string;
    windowEnd: string;
  };
  rules: { windowDays: number; currency: string; spendPerPoint: number; perOrder: number; perActiveDay: number; maxScore: number };
  computedAt: string;
}

export interface Subscription {
  id: string;
  memberId: string;
  planId: string;
  status: 'trialing' | 'active' | 'past_due' | 'canceled' | 'expired';
  price: Money;
  priceRule: { index: number; minLoyaltyScore: number | null; description: string };
  loyaltyScoreUsed: number;
  currentPeriod: { index: number; start: string; end: string };
  cancelAtPeriodEnd: boolean;
  createdAt: string;
}
