/**
 * Row shapes of the membership tables (orders, loyalty, plans, subscriptions, benefits, joint
 * products), kept beside schema.ts so that the domains of issue 3 add to it without touching
 * everyone else's rows. Times are epoch milliseconds; points and money are integers.
 */

export interface EarningRulesTable {
  id: string;
  name: string;
  /** base: points per yuan in a currency; category / plan: a multiplier in basis points. */
  kind: string;
  currency: string | null;
  points_per_yuan: number | null;
  category: string | null;
  plan_id: string | null;
  multiplier_bp: number | null;
  active: number;
  created_at: number;
}

export interface OrdersTable {
  id: string;
  member_id: string;
  external_id: string;
  amount: number;
  currency: string;
  category: string | null;
  paid_at: number;
  points_earned: number;
  earn_transaction_id: string | null;
  refunded_amount: number;
  refunded_points: number;
  status: string;
  created_at: number;
  updated_at: number;
}

export interface OrderRefundsTable {
  id: string;
  order_id: string;
  amount: number;
  points_reversed: number;
  points_debited: number;
  points_debt: number;
  transaction_id: string | null;
  reason: string;
  created_at: number;
}

export interface PointsDebtsTable {
  member_id: string;
  points: number;
  updated_at: number;
}

export interface PointsDebtEntriesTable {
  id: string;
  member_id: string;
  points: number;
  order_id: string | null;
  refund_id: string | null;
  transaction_id: string | null;
  note: string;
  created_at: number;
}

export interface MemberSpendStatsTable {
  member_id: string;
  currency: string;
  order_count: number;
  refund_count: number;
  gross_amount: number;
  refunded_amount: number;
  first_order_at: number | null;
  last_order_at: number | null;
  updated_at: number;
}

export interface LoyaltyRulesTable {
  id: string;
  window_days: number;
  currency: string;
  spend_per_point: number;
  per_order: number;
  per_active_day: number;
  max_score: number;
  updated_at: number;
}

export interface LoyaltyEventsTable {
  id: string;
  member_id: string;
  kind: string;
  ref_id: string | null;
  spend_delta: number;
  orders_delta: number;
  score_delta: number;
  /** 1 when the event shows the member active that day (an order, an activity). */
  active_day: number;
  note: string | null;
  occurred_at: number;
  created_at: number;
}

export interface LoyaltyDaysTable {
  member_id: string;
  /** UTC day number: epoch ms / 86,400,000, rounded down. */
  day: number;
  spend: number;
  orders: number;
  adjustments: number;
  active: number;
}

export interface LoyaltyScoresTable {
  member_id: string;
  score: number;
  breakdown: string;
  computed_at: number;
}

export interface LoyaltyScoreHistoryTable {
  id: string;
  member_id: string;
  score: number;
  previous: number;
  reason: string;
  created_at: number;
}

export interface PlansTable {
  id: string;
  code: string;
  name: string;
  term: string;
  currency: string;
  trial: string | null;
  current_version: number;
  created_at: number;
  updated_at: number;
}

export interface PlanVersionsTable {
  id: string;
  plan_id: string;
  version: number;
  /** JSON: [{minLoyaltyScore: number | null, amount: number}] in the order given. */
  prices: string;
  /** JSON: string[] */
  benefit_ids: string;
  created_at: number;
}

export interface BenefitsTable {
  id: string;
  code: string;
  name: string;
  kind: string;
  config: string;
  created_at: number;
}

export interface JointProductsTable {
  id: string;
  code: string;
  name: string;
  plan_id: string;
  price_amount: number;
  currency: string;
  benefit_ids: string;
  split: string;
  created_at: number;
}

export interface SubscriptionsTable {
  id: string;
  member_id: string;
  plan_id: string;
  plan_version_id: string;
  joint_product_id: string | null;
  status: string;
  price_amount: number;
  currency: string;
  price_rule: string;
  score_used: number;
  anchor_at: number;
  period_index: number;
  current_period_start: number;
  current_period_end: number;
  cancel_at_period_end: number;
  canceled_at: number | null;
  ended_at: number | null;
  past_due_since: number | null;
  created_at: number;
  updated_at: number;
}

export interface SubscriptionPeriodsTable {
  id: string;
  subscription_id: string;
  period_index: number;
  kind: string;
  starts_at: number;
  ends_at: number;
  plan_version_id: string;
  price_amount: number;
  currency: string;
  price_rule: string;
  score_used: number;
  payment_id: string | null;
  status: string;
  refunded_amount: number;
  created_at: number;
}

export interface PaymentsTable {
  id: string;
  member_id: string;
  subscription_id: string | null;
  period_id: string | null;
  kind: string;
  amount: number;
  currency: string;
  method: string;
  status: string;
  reference: string | null;
  refunds_payment_id: string | null;
  created_at: number;
}

export interface EntitlementsTable {
  id: string;
  member_id: string;
  subscription_id: string;
  period_id: string;
  benefit_id: string;
  kind: string;
  status: string;
  valid_from: number;
  valid_until: number;
  detail: string;
  created_at: number;
  updated_at: number;
}

export interface EntitlementEventsTable {
  id: string;
  entitlement_id: string;
  status: string;
  note: string;
  created_at: number;
}

export interface SettlementEntriesTable {
  id: string;
  party: string;
  joint_product_id: string;
  subscription_id: string;
  payment_id: string;
  kind: string;
  amount: number;
  currency: string;
  created_at: number;
}

export interface MembershipTables {
  earning_rules: EarningRulesTable;
  orders: OrdersTable;
  order_refunds: OrderRefundsTable;
  points_debts: PointsDebtsTable;
  points_debt_entries: PointsDebtEntriesTable;
  member_spend_stats: MemberSpendStatsTable;
  loyalty_rules: LoyaltyRulesTable;
  loyalty_events: LoyaltyEventsTable;
  loyalty_days: LoyaltyDaysTable;
  loyalty_scores: LoyaltyScoresTable;
  loyalty_score_history: LoyaltyScoreHistoryTable;
  plans: PlansTable;
  plan_versions: PlanVersionsTable;
  benefits: BenefitsTable;
  joint_products: JointProductsTable;
  subscriptions: SubscriptionsTable;
  subscription_periods: SubscriptionPeriodsTable;
  payments: PaymentsTable;
  entitlements: EntitlementsTable;
  entitlement_events: EntitlementEventsTable;
  settlement_entries: SettlementEntriesTable;
}
