import type { Clock } from '../platform/clock.js';
import { conflict, notFound } from '../platform/errors.js';
import type { Outbox } from '../platform/outbox.js';
import type { Db, Executor, PartnerActivationsTable, Tx } from '../schema.js';
import { toActivation, type Activation, type ActivationStatus } from './partner.js';
import type { PartnerStore } from './partner-store.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * How long each request waits for the partner's answer before the next: attempt 1 is sent at
 * the grant, attempt 2 a quarter of an hour later, … and when the wait after the last attempt
 * runs out the activation has failed and waits for an operator.
 */
export const ACTIVATION_SCHEDULE_MS = [15 * MINUTE, HOUR, 6 * HOUR, 24 * HOUR, 72 * HOUR];

type EntitlementState = 'pending' | 'fulfilled' | 'failed' | 'revoked' | 'activation_failed';

/** What activations need of the entitlements (BenefitService fits). */
export interface EntitlementSteps {
  activationStep(tx: Tx, id: string, from: EntitlementState[], to: EntitlementState, note: string, detail?: Record<string, unknown>): Promise<boolean>;
}

/** A granted partner_membership entitlement, as the benefits domain hands it over. */
export interface ActivationRequestInput {
  entitlementId: string;
  memberId: string;
  benefit: { id: string; code: string; partner?: string; membership?: string };
  validFrom: number;
  validUntil: number;
}

interface RequestPayload {
  benefitCode: string;
  membership: string | null;
  validFrom: string;
  validUntil: string;
}

/**
 * The activation of partner memberships: a granted entitlement is sent to its partner (an
 * outbox event, delivered by the webhooks worker), re-sent on a back-off while unanswered,
 * and marked activation_failed after the last attempt for an operator to retry. A partner that
 * requires account links gets nothing until the member's link is confirmed.
 */
export class ActivationService {
  constructor(
    private readonly db: Db,
    private readonly store: PartnerStore,
    private readonly entitlements: EntitlementSteps,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly schedule: number[] = ACTIVATION_SCHEDULE_MS,
  ) {}

  /** Called by the benefits domain in the grant's transaction. */
  async request(tx: Tx, input: ActivationRequestInput): Promise<void> {
    const ref = input.benefit.partner;
    const partner = ref === undefined ? undefined : await this.store.findByRef(tx, ref);
    const payload: RequestPayload = {
      benefitCode: input.benefit.code,
      membership: input.benefit.membership ?? null,
      validFrom: new Date(input.validFrom).toISOString(),
      validUntil: new Date(input.validUntil).toISOString(),
    };
    if (!partner) {
      // A free-text partner nobody registered (an installation without partners): the request
      // goes out as an event as it always did, with nobody to confirm it through the API.
      await this.outbox.add(tx, 'entitlement.activation_requested', input.entitlementId, {
        entitlementId: input.entitlementId,
        memberId: input.memberId,
        benefitId: input.benefit.id,
        partner: ref ?? null,
        membership: payload.membership,
        validFrom: payload.validFrom,
        validUntil: payload.validUntil,
      });
      return;
    }
    const now = this.clock.now();
    const row: PartnerActivationsTable = {
      entitlement_id: input.entitlementId,
      partner_id: partner.id,
      member_id: input.memberId,
      benefit_id: input.benefit.id,
      status: 'awaiting_link',
      attempts: 0,
      retries: 0,
      next_attempt_at: null,
      last_requested_at: null,
      partner_reference: null,
      reason: null,
      request: JSON.stringify(payload),
      created_at: now,
      updated_at: now,
    };
    if (!(await this.store.insertActivation(tx, row))) return;
    await this.dispatch(tx, row, `granted: activation requested from ${partner.name}`);
  }

  /** Sends the first request of a round, or parks it until the member links their account. */
  private async dispatch(tx: Tx, row: PartnerActivationsTable, note: string): Promise<PartnerActivationsTable> {
    const partner = (await this.store.find(tx, row.partner_id))!;
    const link = await this.store.confirmedLink(tx, partner.id, row.member_id);
    const now = this.clock.now();
    if (partner.requires_account_link === 1 && !link) {
      const parked = { status: 'awaiting_link', attempts: 0, next_attempt_at: null, updated_at: now };
      await this.store.updateActivation(tx, row.entitlement_id, [row.status], parked);
      await this.entitlements.activationStep(tx, row.entitlement_id, ['pending'], 'pending', `waiting for the member to link their ${partner.name} account`);
      return { ...row, ...parked };
    }
    return this.send(tx, row, 1, note, link?.partner_user_id ?? null);
  }

  /**
   * Writes attempt `attempt` of the request to the outbox, notes it in the entitlement's
   * history and schedules the next look; closes the activation if the entitlement moved on.
   */
  private async send(tx: Tx, row: PartnerActivationsTable, attempt: number, note: string, partnerUserId: string | null): Promise<PartnerActivationsTable> {
    const partner = (await this.store.find(tx, row.partner_id))!;
    const now = this.clock.now();
    if (!(await this.entitlements.activationStep(tx, row.entitlement_id, ['pending'], 'pending', `${note} (attempt ${attempt} of ${this.schedule.length})`))) {
      await this.close(tx, row);
      return { ...row, status: 'closed' };
    }
    const payload = JSON.parse(row.request) as RequestPayload;
    await this.outbox.add(tx, 'entitlement.activation_requested', row.entitlement_id, {
      entitlementId: row.entitlement_id,
      memberId: row.member_id,
      partnerId: partner.id,
      partner: partner.code,
      partnerUserId,
      benefitId: row.benefit_id,
      ...payload,
      attempt,
    });
    const set = {
      status: 'requested',
      attempts: attempt,
      next_attempt_at: now + this.schedule[Math.min(attempt, this.schedule.length) - 1]!,
      last_requested_at: now,
      updated_at: now,
    };
    await this.store.updateActivation(tx, row.entitlement_id, [row.status], set);
    return { ...row, ...set };
  }

  /** The partner confirms: the entitlement is fulfilled. Idempotent: a second confirm changes nothing. */
  async confirm(tx: Tx, partnerId: string, entitlementId: string, input: { partnerReference?: string }): Promise<Activation> {
    const row = await this.ofPartner(tx, partnerId, entitlementId);
    if (row.status === 'confirmed') return toActivation(row);
    if (row.status === 'rejected' || row.status === 'closed') {
      throw conflict('invalid_state', `The activation of ${entitlementId} is ${row.status}${row.reason ? ` (${row.reason})` : ''}; it cannot be confirmed`);
    }
    const partner = (await this.store.find(tx, partnerId))!;
    const reference = input.partnerReference ?? null;
    const fulfilled = await this.entitlements.activationStep(
      tx,
      entitlementId,
      ['pending', 'activation_failed'],
      'fulfilled',
      `activated by ${partner.name}${reference ? ` (reference ${reference})` : ''}`,
      { partnerId, partnerReference: reference },
    );
    const now = this.clock.now();
    if (!fulfilled) {
      // A confirmation racing this one (PostgreSQL: it held the entitlement's row) may have won: same answer.
      const current = await this.store.findActivation(tx, entitlementId);
      if (current?.status === 'confirmed') return toActivation(current);
      await this.store.updateActivation(tx, entitlementId, [row.status], { status: 'closed', reason: 'the entitlement was no longer pending', next_attempt_at: null, updated_at: now });
      throw conflict('invalid_state', `Entitlement ${entitlementId} is no longer waiting for activation (revoked or settled otherwise)`);
    }
    const set = { status: 'confirmed', partner_reference: reference, next_attempt_at: null, reason: null, updated_at: now };
    await this.store.updateActivation(tx, entitlementId, [row.status], set);
    await this.outbox.add(tx, 'entitlement.activated', entitlementId, { entitlementId, memberId: row.member_id, partnerId, partnerReference: reference });
    return toActivation({ ...row, ...set });
  }

  /** The partner refuses (the account cannot take the membership…): the entitlement fails with the reason. */
  async reject(tx: Tx, partnerId: string, entitlementId: string, input: { reason: string }): Promise<Activation> {
    const row = await this.ofPartner(tx, partnerId, entitlementId);
    if (row.status === 'rejected') return toActivation(row);
    if (row.status === 'confirmed' || row.status === 'closed') {
      throw conflict('invalid_state', `The activation of ${entitlementId} is ${row.status}; it cannot be rejected`);
    }
    const partner = (await this.store.find(tx, partnerId))!;
    const now = this.clock.now();
    if (!(await this.entitlements.activationStep(tx, entitlementId, ['pending', 'activation_failed'], 'failed', `rejected by ${partner.name}: ${input.reason}`))) {
      throw conflict('invalid_state', `Entitlement ${entitlementId} is no longer waiting for activation (revoked or settled otherwise)`);
    }
    const set = { status: 'rejected', reason: input.reason, next_attempt_at: null, updated_at: now };
    await this.store.updateActivation(tx, entitlementId, [row.status], set);
    await this.outbox.add(tx, 'entitlement.activation_rejected', entitlementId, { entitlementId, memberId: row.member_id, partnerId, reason: input.reason });
    return toActivation({ ...row, ...set });
  }

  /** An operator starts a failed (or rejected) activation over: a new round of requests. */
  async retry(tx: Tx, entitlementId: string): Promise<Activation> {
    const row = await this.store.findActivation(tx, entitlementId);
    if (!row) throw notFound('activation', entitlementId, 'entitlementId');
    if (row.status !== 'failed' && row.status !== 'rejected') {
      throw conflict('invalid_state', `The activation of ${entitlementId} is ${row.status}; only a failed or rejected one is retried`);
    }
    if (!(await this.entitlements.activationStep(tx, entitlementId, ['activation_failed', 'failed'], 'pending', 'activation retried by an operator'))) {
      throw conflict('invalid_state', `Entitlement ${entitlementId} is no longer failed (revoked meanwhile?)`);
    }
    const reopened = { ...row, retries: row.retries + 1, reason: null, updated_at: this.clock.now() };
    await this.store.updateActivation(tx, entitlementId, [row.status], { retries: reopened.retries, reason: null });
    return toActivation(await this.dispatch(tx, reopened, 'activation requested again after an operator retry'));
  }

  /** Called when a member's link to a partner is confirmed: what waited for it is sent now. */
  async linkConfirmed(tx: Tx, partnerId: string, memberId: string, partnerUserId: string): Promise<void> {
    for (const row of await this.store.awaitingLink(tx, partnerId, memberId)) {
      await this.send(tx, row, 1, `account linked (${partnerUserId}): activation requested`, partnerUserId);
    }
  }

  /**
   * The job: requests whose wait ran out are sent again, or fail after the last attempt.
   * Each in its own transaction, re-checked there, so several nodes may run it at once.
   */
  async runDue(limit = 500): Promise<{ resent: number; failed: number; closed: number }> {
    const now = this.clock.now();
    const due = await this.store.dueActivations(this.db.read, now, limit);
    const report = { resent: 0, failed: 0, closed: 0 };
    for (const { entitlement_id: id } of due) {
      const outcome = await this.db.write(async (tx) => {
        const row = await this.store.findActivation(tx, id);
        if (!row || row.status !== 'requested' || row.next_attempt_at === null || Number(row.next_attempt_at) > now) return undefined;
        const partner = (await this.store.find(tx, row.partner_id))!;
        if (row.attempts >= this.schedule.length) {
          const note = `activation failed: ${partner.name} did not answer ${row.attempts} requests`;
          if (!(await this.entitlements.activationStep(tx, id, ['pending'], 'activation_failed', note))) return this.close(tx, row);
          await this.store.updateActivation(tx, id, ['requested'], { status: 'failed', reason: note, next_attempt_at: null, updated_at: now });
          await this.outbox.add(tx, 'entitlement.activation_failed', id, { entitlementId: id, memberId: row.member_id, partnerId: row.partner_id, attempts: row.attempts });
          return 'failed' as const;
        }
        const link = await this.store.confirmedLink(tx, row.partner_id, row.member_id);
        const sent = await this.send(tx, row, row.attempts + 1, `no answer yet: activation requested again from ${partner.name}`, link?.partner_user_id ?? null);
        return sent.status === 'closed' ? ('closed' as const) : ('resent' as const);
      });
      if (outcome) report[outcome]++;
    }
    return report;
  }

  /** The entitlement moved on without the partner (revoked, fulfilled by hand): nothing more to ask. */
  private async close(tx: Tx, row: PartnerActivationsTable): Promise<'closed'> {
    await this.store.updateActivation(tx, row.entitlement_id, [row.status], {
      status: 'closed',
      reason: 'the entitlement is no longer pending',
      next_attempt_at: null,
      updated_at: this.clock.now(),
    });
    return 'closed';
  }

  async list(filter: { status?: ActivationStatus; partnerId?: string; memberId?: string }, limit: number, startingAfter?: string): Promise<{ data: Activation[]; hasMore: boolean }> {
    const rows = await this.store.listActivations(this.db.read, filter, limit + 1, startingAfter);
    return { data: rows.slice(0, limit).map(toActivation), hasMore: rows.length > limit };
  }

  async get(entitlementId: string, partnerId?: string): Promise<Activation> {
    const row = await this.store.findActivation(this.db.read, entitlementId);
    if (!row || (partnerId !== undefined && row.partner_id !== partnerId)) throw notFound('activation', entitlementId, 'entitlementId');
    return toActivation(row);
  }

  /** Another partner's entitlement is not found: a partner never learns about others'. */
  private async ofPartner(db: Executor, partnerId: string, entitlementId: string): Promise<PartnerActivationsTable> {
    const row = await this.store.findActivation(db, entitlementId);
    if (!row || row.partner_id !== partnerId) throw notFound('activation', entitlementId, 'entitlementId');
    return row;
  }
}
