/**
 * Row shapes of the partner tables (issue 5: partners, agreements, activations, account links,
 * partner-reported activity), kept beside schema.ts like the membership tables.
 * Times are epoch milliseconds.
 */

export interface PartnersTable {
  id: string;
  code: string;
  name: string;
  /** 1 when a member must link their account on the partner's platform before activation. */
  requires_account_link: number;
  created_at: number;
  updated_at: number;
}

export interface PartnerAgreementsTable {
  id: string;
  partner_id: string;
  /** co_brand | procurement */
  kind: string;
  /** JSON, free form (revenue share, unit prices), or null. */
  revenue_terms: string | null;
  /** JSON: {forbidPrograms?: string[], forbidChannels?: string[], procurementOnly?: boolean} */
  rules: string;
  valid_from: number;
  valid_until: number | null;
  note: string | null;
  created_at: number;
}

export interface PartnerActivationsTable {
  entitlement_id: string;
  partner_id: string;
  member_id: string;
  benefit_id: string;
  /** awaiting_link | requested | confirmed | rejected | failed | closed */
  status: string;
  /** Requests sent in the current round (an operator's retry starts a new round). */
  attempts: number;
  retries: number;
  next_attempt_at: number | null;
  last_requested_at: number | null;
  partner_reference: string | null;
  reason: string | null;
  /** JSON: what the request to the partner carries (membership, term). */
  request: string;
  created_at: number;
  updated_at: number;
}

export interface PartnerLinksTable {
  id: string;
  partner_id: string;
  member_id: string;
  /** pending | confirmed | superseded */
  status: string;
  token_hash: string;
  token_expires_at: number;
  partner_user_id: string | null;
  confirmed_member_id: string | null;
  created_at: number;
  confirmed_at: number | null;
}

/** Read directly by the analytics domain (cross-platform conversion): keep its shape. */
export interface PartnerActivitiesTable {
  id: string;
  partner_id: string;
  member_id: string;
  /** became_active | active */
  kind: string;
  occurred_at: number;
  reported_at: number;
  external_id: string | null;
}

export interface PartnerTables {
  partners: PartnersTable;
  partner_agreements: PartnerAgreementsTable;
  partner_activations: PartnerActivationsTable;
  partner_links: PartnerLinksTable;
  partner_activities: PartnerActivitiesTable;
}
