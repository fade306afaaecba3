import type { PlansTable, PlanVersionsTable } from '../schema.js';

export interface PriceRule {
  /** null: the default, for any score. */
  minLoyaltyScore: number | null;
  amount: number;
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
  prices: Array<{ minLoyaltyScore: number | null; amount: { amount: number; currency: string } }>;
  benefitIds: string[];
  createdAt: string;
  updatedAt: string;
}

export interface ChosenPrice {
  amount: number;
  /** Position of the rule in the version's price list. */
  index: number;
  minLoyaltyScore: number | null;
}

export interface Quote {
  planId: string;
  planVersion: number;
  memberId: string;
  price: { amount: number; currency: string };
  rule: { index: number; minLoyaltyScore: number | null; description: string };
  loyaltyScore: number;
  quotedAt: string;
}

export function toPlan(plan: PlansTable, version: PlanVersionsTable): Plan {
  const prices = JSON.parse(version.prices) as PriceRule[];
  return {
    id: plan.id,
    code: plan.code,
    name: plan.name,
    term: plan.term,
    currency: plan.currency,
    trial: plan.trial,
    version: version.version,
    versionId: version.id,
    prices: prices.map((p) => ({ minLoyaltyScore: p.minLoyaltyScore, amount: { amount: p.amount, currency: plan.currency } })),
    benefitIds: JSON.parse(version.benefit_ids) as string[],
    createdAt: new Date(plan.created_at).toISOString(),
    updatedAt: new Date(plan.updated_at).toISOString(),
  };
}

/** The rule with the highest threshold the score reaches; the default when none does. */
export function choosePrice(prices: PriceRule[], score: number): ChosenPrice | undefined {
  let chosen: ChosenPrice | undefined;
  prices.forEach((rule, index) => {
    if (rule.minLoyaltyScore === null) {
      if (!chosen) chosen = { amount: rule.amount, index, minLoyaltyScore: null };
    } else if (score >= rule.minLoyaltyScore && (chosen?.minLoyaltyScore ?? -1) < rule.minLoyaltyScore) {
      chosen = { amount: rule.amount, index, minLoyaltyScore: rule.minLoyaltyScore };
    }
  });
  return chosen;
}

export function describeRule(rule: { minLoyaltyScore: number | null }): string {
  return rule.minLoyaltyScore === null ? 'default price' : `loyalty score ≥ ${rule.minLoyaltyScore}`;
}
