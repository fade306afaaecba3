import { generateKey, hashKey, SCOPES, type ApiKeyService, type ApiKeyView, type CreatedKey, type Scope } from '../auth/index.js';
import type { MemberService } from '../members/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError, businessRule, conflict, invalid, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Db, Executor, PartnerActivitiesTable, PartnerAgreementsTable, PartnersTable, Tx } from '../schema.js';
import type { ActivationService } from './activation-service.js';
import {
  agreementInForce,
  ACTIVITY_KINDS,
  CHANNELS,
  toActivity,
  toAgreement,
  toLink,
  toPartner,
  type Activity,
  type ActivityKind,
  type Agreement,
  type AgreementKind,
  type AgreementRules,
  type Channel,
  type LinkedMember,
  type Partner,
  type PartnerLink,
} from './partner.js';
import type { PartnerStore } from './partner-store.js';

/** What the partners domain needs of the pools (PoolService fits). */
export interface PoolDirectory {
  partnerOf(db: Executor, poolId: string): Promise<string | null | undefined>;
  lookupCode(db: Executor, partnerRefs: string[], code: string): Promise<{ status: string; expiresAt: number | null; issuedAt: number | null } | undefined>;
}

/** One benefit of an offer, as the benefits domain describes it. */
export interface OfferedBenefit {
  kind: string;
  partner?: string;
  poolId?: string;
}

export interface CreatePartnerInput {
  code: string;
  name: string;
  requiresAccountLink?: boolean;
}

export interface AgreementInput {
  kind: AgreementKind;
  revenueTerms?: Record<string, unknown>;
  rules?: AgreementRules;
  /** Epoch ms; default now. */
  validFrom?: number;
  validUntil?: number | null;
  note?: string;
}

export interface ActivityInput {
  memberId: string;
  kind: ActivityKind;
  /** Epoch ms. */
  occurredAt: number;
  externalId?: string;
}

/** One report of a partner's batch: the member named by its linked partner user id or by member id. */
export interface ActivityReport {
  partnerUserId?: string;
  memberId?: string;
  kind: ActivityKind;
  occurredAt: number;
  externalId?: string;
}

export type CodeLookup = { valid: false } | { valid: true; status: 'issued'; issuedAt: string | null; expiresAt: string | null };

const CODE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const LINK_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
/** Reports may be a little ahead of our clock (theirs drifts), not more. */
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

const INVALID_LINK_TOKEN = () => new AppError(404, 'link_token_invalid', 'The link token is unknown, expired or already used');

export class PartnerService {
  constructor(
    private readonly db: Db,
    private readonly store: PartnerStore,
    private readonly apiKeys: ApiKeyService,
    private readonly members: MemberService,
    private readonly pools: PoolDirectory,
    private readonly activations: ActivationService,
    private readonly clock: Clock,
  ) {}

  // ---------------------------------------------------------------- partners

  async create(tx: Tx, input: CreatePartnerInput): Promise<Partner> {
    if (!CODE_PATTERN.test(input.code)) {
      throw invalid("code must be 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit", 'code');
    }
    if (input.name.trim().length === 0) throw invalid('name must not be blank', 'name');
    const now = this.clock.now();
    const row: PartnersTable = {
      id: newId('ptr'),
      code: input.code,
      name: input.name,
      requires_account_link: input.requiresAccountLink ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    if (!(await this.store.insert(tx, row))) throw conflict('already_exists', `A partner with code '${input.code}' already exists`, 'code');
    return toPartner(row);
  }

  async list(limit: number, startingAfter?: string): Promise<{ data: Partner[]; hasMore: boolean }> {
    const rows = await this.store.list(this.db.read, limit + 1, startingAfter);
    return { data: rows.slice(0, limit).map(toPartner), hasMore: rows.length > limit };
  }

  /** A partner by id or code. */
  async get(ref: string, db: Executor = this.db.read): Promise<Partner> {
    return toPartner(await this.require(db, ref));
  }

  private async require(db: Executor, ref: string, param = 'id'): Promise<PartnersTable> {
    const row = await this.store.findByRef(db, ref);
    if (!row) throw notFound('partner', ref, param);
    return row;
  }

  // ---------------------------------------------------------------- agreements

  async createAgreement(tx: Tx, partnerRef: string, input: AgreementInput): Promise<Agreement> {
    const partner = await this.require(tx, partnerRef);
    const now = this.clock.now();
    const rules = checkRules(input.rules ?? {});
    const validFrom = input.validFrom ?? now;
    const validUntil = input.validUntil ?? null;
    if (validUntil !== null && validUntil <= validFrom) throw invalid('validUntil must come after validFrom', 'validUntil');
    if (rules.procurementOnly && input.kind === 'co_brand') {
      throw invalid('A co_brand agreement cannot be procurementOnly (use kind procurement)', 'rules.procurementOnly');
    }
    const row: PartnerAgreementsTable = {
      id: newId('agr'),
      partner_id: partner.id,
      kind: input.kind,
      revenue_terms: input.revenueTerms === undefined ? null : JSON.stringify(input.revenueTerms),
      rules: JSON.stringify(rules),
      valid_from: validFrom,
      valid_until: validUntil,
      note: input.note ?? null,
      created_at: now,
    };
    await this.store.insertAgreement(tx, row);
    return toAgreement(row, now);
  }

  async agreements(partnerRef: string): Promise<Agreement[]> {
    const partner = await this.require(this.db.read, partnerRef);
    const now = this.clock.now();
    return (await this.store.agreementsOf(this.db.read, partner.id)).map((r) => toAgreement(r, now));
  }

  // ---------------------------------------------------------------- keys

  async createKey(tx: Tx, partnerRef: string, input: { name: string; scopes: Scope[] }): Promise<CreatedKey> {
    const partner = await this.require(tx, partnerRef);
    for (const [i, scope] of input.scopes.entries()) {
      if (!SCOPES.includes(scope)) throw invalid(`Unknown scope '${scope}' (one of ${SCOPES.join(', ')})`, `scopes.${i}`);
    }
    // The partner's row lock: two creations at once cannot both find room for a key.
    await this.store.lock(tx, partner.id, this.clock.now());
    return this.apiKeys.createPartnerKey(tx, partner.id, input);
  }

  async keys(partnerRef: string): Promise<ApiKeyView[]> {
    const partner = await this.require(this.db.read, partnerRef);
    return this.apiKeys.listOfPartner(this.db.read, partner.id);
  }

  async revokeKey(tx: Tx, partnerRef: string, keyId: string): Promise<ApiKeyView> {
    const partner = await this.require(tx, partnerRef);
    return this.apiKeys.revokePartnerKey(tx, partner.id, keyId);
  }

  // ---------------------------------------------------------------- account links

  /** The member starts linking their account on the partner's platform: a one-time token for the partner to confirm. */
  async startLink(tx: Tx, memberId: string, partnerRef: string): Promise<PartnerLink & { linkToken: string | null }> {
    if (!(await this.members.exists(tx, memberId))) throw notFound('member', memberId, 'id');
    const partner = await this.require(tx, partnerRef, 'partnerId');
    const existing = await this.store.confirmedLink(tx, partner.id, memberId);
    if (existing) {
      throw conflict('already_linked', `Member ${memberId} is already linked to ${partner.name} (link ${existing.id})`, 'partnerId');
    }
    await this.store.supersedePending(tx, partner.id, memberId);
    const now = this.clock.now();
    const token = generateKey('lnk');
    const row = {
      id: newId('plk'),
      partner_id: partner.id,
      member_id: memberId,
      status: 'pending',
      token_hash: hashKey(token),
      token_expires_at: now + LINK_TOKEN_TTL_MS,
      partner_user_id: null,
      confirmed_member_id: null,
      created_at: now,
      confirmed_at: null,
    };
    await this.store.insertLink(tx, row);
    return { ...toLink(row), linkToken: token };
  }

  /**
   * The partner confirms a link with the token the member brought and its own user id.
   * Idempotent: the same token and user id again answer the same link.
   */
  async confirmLink(tx: Tx, partnerId: string, input: { linkToken: string; partnerUserId: string }): Promise<PartnerLink> {
    const tokenHash = hashKey(input.linkToken);
    if ((await this.store.findLinkByToken(tx, tokenHash))?.partner_id !== partnerId) throw INVALID_LINK_TOKEN();
    // The partner's row lock: confirmations of one partner are checked one after the other, and
    // what follows reads the link as the previous one left it.
    await this.store.lock(tx, partnerId, this.clock.now());
    const link = (await this.store.findLinkByToken(tx, tokenHash))!;
    if (link.status === 'confirmed') {
      if (link.partner_user_id === input.partnerUserId) return toLink(link);
      throw INVALID_LINK_TOKEN();
    }
    if (link.status !== 'pending' || Number(link.token_expires_at) <= this.clock.now()) throw INVALID_LINK_TOKEN();
    const taken = await this.store.linkOfPartnerUser(tx, partnerId, input.partnerUserId);
    if (taken) {
      throw conflict('partner_user_already_linked', `Partner user '${input.partnerUserId}' is already linked to another member`, 'partnerUserId');
    }
    if (await this.store.confirmedLink(tx, partnerId, link.member_id)) {
      throw conflict('already_linked', 'This member is already linked to another account of yours', 'linkToken');
    }
    const now = this.clock.now();
    if (!(await this.store.confirmLink(tx, link.id, input.partnerUserId, link.member_id, now))) throw INVALID_LINK_TOKEN();
    await this.activations.linkConfirmed(tx, partnerId, link.member_id, input.partnerUserId);
    return toLink({ ...link, status: 'confirmed', partner_user_id: input.partnerUserId, confirmed_member_id: link.member_id, confirmed_at: now });
  }

  async linksOfMember(memberId: string): Promise<PartnerLink[]> {
    if (!(await this.members.exists(this.db.read, memberId))) throw notFound('member', memberId, 'id');
    return (await this.store.linksOfMember(this.db.read, memberId)).map(toLink);
  }

  /** A member linked to the calling partner, by the partner's own user id; only what the partner needs. */
  async linkedMember(partnerId: string, partnerUserId: string): Promise<LinkedMember> {
    const link = await this.store.linkOfPartnerUser(this.db.read, partnerId, partnerUserId);
    if (!link || link.confirmed_member_id === null) throw notFound('linked member', partnerUserId, 'partnerUserId');
    const activations = await this.store.listActivations(this.db.read, { partnerId, memberId: link.member_id }, 100);
    return {
      partnerUserId,
      memberId: link.member_id,
      linkedAt: new Date(Number(link.confirmed_at)).toISOString(),
      memberships: activations.map((a) => ({ entitlementId: a.entitlement_id, status: a.status as LinkedMember['memberships'][number]['status'], partnerReference: a.partner_reference })),
    };
  }

  // ---------------------------------------------------------------- activity

  /**
   * Records that a member became, or is, an active user of the partner's platform. With an
   * `externalId`, a repeat of the same report is recorded once (`duplicate: true`, same id).
   */
  async reportActivity(tx: Tx, partnerId: string, input: ActivityInput): Promise<{ id: string; duplicate: boolean }> {
    const partner = await this.require(tx, partnerId, 'partnerId');
    if (!(await this.members.exists(tx, input.memberId))) throw notFound('member', input.memberId, 'memberId');
    const [result] = await this.recordActivities(tx, partner.id, [{ ...input }]);
    return { id: result!.id, duplicate: result!.duplicate };
  }

  /** A partner's batch (up to 1,000): all recorded, or none when one names no member. */
  async reportActivities(tx: Tx, partnerId: string, reports: ActivityReport[]): Promise<{ data: Array<{ id: string; memberId: string; duplicate: boolean }>; accepted: number; duplicates: number }> {
    const userIds = [...new Set(reports.flatMap((r) => (r.partnerUserId !== undefined ? [r.partnerUserId] : [])))];
    const linked = new Map((await this.store.linksOfPartnerUsers(tx, partnerId, userIds)).filter((l) => l.confirmed_member_id !== null).map((l) => [l.partner_user_id!, l.member_id]));
    const known = new Set<string>();
    const inputs: ActivityInput[] = [];
    for (const [i, report] of reports.entries()) {
      let memberId: string | undefined;
      if ((report.partnerUserId === undefined) === (report.memberId === undefined)) {
        throw invalid(`Report ${i} must name the member by exactly one of partnerUserId or memberId`, `reports.${i}`, 'parameter_missing');
      }
      if (report.partnerUserId !== undefined) {
        memberId = linked.get(report.partnerUserId);
        if (!memberId) {
          throw businessRule('member_not_linked', `Partner user '${report.partnerUserId}' is linked to no member`, `reports.${i}.partnerUserId`);
        }
      } else {
        memberId = report.memberId!;
        if (!known.has(memberId)) {
          if (!(await this.members.exists(tx, memberId))) throw notFound('member', memberId, `reports.${i}.memberId`);
          known.add(memberId);
        }
      }
      inputs.push({ memberId, kind: report.kind, occurredAt: report.occurredAt, ...(report.externalId !== undefined ? { externalId: report.externalId } : {}) });
    }
    const data = await this.recordActivities(tx, partnerId, inputs);
    const duplicates = data.filter((d) => d.duplicate).length;
    return { data, accepted: data.length - duplicates, duplicates };
  }

  async activities(partnerRef: string, limit: number, startingAfter?: string, memberId?: string): Promise<{ data: Activity[]; hasMore: boolean }> {
    const partner = await this.require(this.db.read, partnerRef);
    const rows = await this.store.activitiesOf(this.db.read, partner.id, limit + 1, startingAfter, memberId);
    return { data: rows.slice(0, limit).map(toActivity), hasMore: rows.length > limit };
  }

  private async recordActivities(tx: Tx, partnerId: string, inputs: ActivityInput[]): Promise<Array<{ id: string; memberId: string; duplicate: boolean }>> {
    const now = this.clock.now();
    inputs.forEach((input, i) => {
      const param = inputs.length === 1 ? '' : `reports.${i}.`;
      if (!ACTIVITY_KINDS.includes(input.kind)) throw invalid(`kind must be one of ${ACTIVITY_KINDS.join(', ')}`, `${param}kind`);
      if (!Number.isFinite(input.occurredAt)) throw invalid('occurredAt must be an instant', `${param}occurredAt`);
      if (input.occurredAt > now + FUTURE_TOLERANCE_MS) throw businessRule('occurred_in_future', 'occurredAt is in the future', `${param}occurredAt`);
    });
    // Already reported (earlier, or earlier in this batch): the first report's id.
    const externalIds = [...new Set(inputs.flatMap((i) => (i.externalId !== undefined ? [i.externalId] : [])))];
    const seen = new Map((await this.store.activitiesByExternalIds(tx, partnerId, externalIds)).map((r) => [r.external_id!, r.id]));
    const results: Array<{ id: string; memberId: string; duplicate: boolean }> = [];
    const rows: PartnerActivitiesTable[] = [];
    const resultOf = new Map<string, { id: string; memberId: string; duplicate: boolean }>();
    for (const input of inputs) {
      const earlier = input.externalId !== undefined ? seen.get(input.externalId) : undefined;
      if (earlier) {
        results.push({ id: earlier, memberId: input.memberId, duplicate: true });
        continue;
      }
      const row: PartnerActivitiesTable = {
        id: newId('pac'),
        partner_id: partnerId,
        member_id: input.memberId,
        kind: input.kind,
        occurred_at: input.occurredAt,
        reported_at: now,
        external_id: input.externalId ?? null,
      };
      if (input.externalId !== undefined) seen.set(input.externalId, row.id);
      rows.push(row);
      const result = { id: row.id, memberId: input.memberId, duplicate: false };
      resultOf.set(row.id, result);
      results.push(result);
    }
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const inserted = await this.store.insertActivities(tx, chunk);
      const lost = chunk.filter((r) => !inserted.has(r.id));
      if (lost.length === 0) continue;
      // The same report reached another writer at the same moment and committed first: it is a
      // repeat, answered like any other with the first report's id.
      const first = new Map((await this.store.activitiesByExternalIds(tx, partnerId, lost.map((r) => r.external_id!))).map((r) => [r.external_id!, r.id]));
      for (const row of lost) {
        const id = first.get(row.external_id!);
        if (id === undefined) throw new Error(`activity ${row.external_id} was neither inserted nor found`);
        Object.assign(resultOf.get(row.id)!, { id, duplicate: true });
      }
    }
    return results;
  }

  // ---------------------------------------------------------------- code look-ups

  /** Whether a code of the calling partner's pools is live in a member's hands; every other case answers the same. */
  async lookupCode(partnerId: string, code: string): Promise<CodeLookup> {
    const partner = await this.require(this.db.read, partnerId);
    const found = await this.pools.lookupCode(this.db.read, [partner.id, partner.code], code);
    const now = this.clock.now();
    if (!found || found.status !== 'issued' || (found.expiresAt !== null && found.expiresAt <= now)) return { valid: false };
    return {
      valid: true,
      status: 'issued',
      issuedAt: found.issuedAt === null ? null : new Date(found.issuedAt).toISOString(),
      expiresAt: found.expiresAt === null ? null : new Date(found.expiresAt).toISOString(),
    };
  }

  // ---------------------------------------------------------------- partner references and exclusivity

  /**
   * A partner reference (a pool's partnerId, a benefit's partner) must name a registered
   * partner by id or code. An installation that has registered no partner at all keeps the
   * free-text names it used before partners existed.
   */
  async checkPartnerRef(db: Executor, ref: string, param: string): Promise<void> {
    if (!(await this.store.any(db))) return;
    if (!(await this.store.findByRef(db, ref))) throw partnerNotFound(ref, param);
  }

  /** Refuses an offer of benefits that breaks an agreement in force (422 exclusivity_violation). */
  async checkOffer(db: Executor, offer: { benefits: OfferedBenefit[]; channel: 'benefit' | 'plan' | 'joint'; programCodes?: string[]; param: string }): Promise<void> {
    if (offer.benefits.length === 0 || !(await this.store.any(db))) return;
    const now = this.clock.now();
    for (const [i, benefit] of offer.benefits.entries()) {
      const param = offer.channel === 'benefit' ? offer.param : `${offer.param}.${i}`;
      let ref = benefit.partner;
      if (ref === undefined && benefit.poolId !== undefined) ref = (await this.pools.partnerOf(db, benefit.poolId)) ?? undefined;
      if (ref === undefined) continue;
      const partner = await this.store.findByRef(db, ref);
      if (!partner) {
        if (benefit.partner !== undefined) throw partnerNotFound(ref, param);
        continue;
      }
      const channel: Channel | undefined = offer.channel === 'plan' ? 'membership' : offer.channel === 'joint' ? 'joint' : undefined;
      for (const agreement of await this.store.agreementsOf(db, partner.id)) {
        if (!agreementInForce(agreement, now)) continue;
        const rules = JSON.parse(agreement.rules) as AgreementRules;
        if (rules.procurementOnly && benefit.kind === 'partner_membership') {
          throw violation(agreement, partner, 'procurementOnly', 'it may be offered only through procurement (pools, the points mall), not as an official co-brand partner_membership benefit', param);
        }
        if (rules.procurementOnly && offer.channel === 'joint') {
          throw violation(agreement, partner, 'procurementOnly', 'it may be offered only through procurement, not in a joint product', param);
        }
        if (channel && rules.forbidChannels?.includes(channel)) {
          throw violation(agreement, partner, `forbidChannels: ${channel}`, `it may not be offered through the ${channel} channel`, param);
        }
        const program = offer.programCodes?.find((code) => rules.forbidPrograms?.includes(code));
        if (program !== undefined) {
          throw violation(agreement, partner, `forbidPrograms: ${program}`, `it may not be a benefit of the program '${program}'`, param);
        }
      }
    }
  }

  /** Refuses a points-mall item whose pool's partner may not be offered there. */
  async checkMallOffer(db: Executor, poolId: string): Promise<void> {
    const ref = await this.pools.partnerOf(db, poolId);
    if (!ref) return;
    const partner = await this.store.findByRef(db, ref);
    if (!partner) return;
    const now = this.clock.now();
    for (const agreement of await this.store.agreementsOf(db, partner.id)) {
      if (!agreementInForce(agreement, now)) continue;
      const rules = JSON.parse(agreement.rules) as AgreementRules;
      if (rules.forbidChannels?.includes('points_mall')) {
        throw violation(agreement, partner, 'forbidChannels: points_mall', 'it may not be offered in the points mall', 'poolId');
      }
    }
  }
}

function partnerNotFound(ref: string, param: string): AppError {
  return businessRule('partner_not_found', `No partner '${ref}' is registered (name it by its id or code; see /v1/partners)`, param);
}

function violation(agreement: PartnerAgreementsTable, partner: PartnersTable, rule: string, what: string, param: string): AppError {
  return businessRule(
    'exclusivity_violation',
    `Refused by agreement ${agreement.id} (${agreement.kind}) with ${partner.name}, rule ${rule}: ${what}`,
    param,
  );
}

function checkRules(rules: AgreementRules): AgreementRules {
  const out: AgreementRules = {};
  if (rules.forbidPrograms !== undefined) {
    rules.forbidPrograms.forEach((code, i) => {
      if (code.trim().length === 0) throw invalid('A program code must not be blank', `rules.forbidPrograms.${i}`);
    });
    out.forbidPrograms = [...new Set(rules.forbidPrograms)];
  }
  if (rules.forbidChannels !== undefined) {
    rules.forbidChannels.forEach((channel, i) => {
      if (!CHANNELS.includes(channel)) throw invalid(`Unknown channel '${channel}' (one of ${CHANNELS.join(', ')})`, `rules.forbidChannels.${i}`);
    });
    out.forbidChannels = [...new Set(rules.forbidChannels)];
  }
  if (rules.procurementOnly !== undefined) out.procurementOnly = rules.procurementOnly;
  return out;
}
