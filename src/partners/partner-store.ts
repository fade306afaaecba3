import type {
  Executor,
  PartnerActivationsTable,
  PartnerActivitiesTable,
  PartnerAgreementsTable,
  PartnerLinksTable,
  PartnersTable,
  Tx,
} from '../schema.js';

export class PartnerStore {
  // ---- partners

  async insert(tx: Tx, row: PartnersTable): Promise<boolean> {
    const result = await tx.insertInto('partners').values(row).onConflict((oc) => oc.column('code').doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async find(db: Executor, id: string): Promise<PartnersTable | undefined> {
    return db.selectFrom('partners').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A partner by id (`ptr_…`) or by code. */
  async findByRef(db: Executor, ref: string): Promise<PartnersTable | undefined> {
    return db
      .selectFrom('partners')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', ref), eb('code', '=', ref)]))
      .executeTakeFirst();
  }

  async any(db: Executor): Promise<boolean> {
    return (await db.selectFrom('partners').select('id').limit(1).executeTakeFirst()) !== undefined;
  }

  /** Takes the partner's row lock (PostgreSQL; SQLite's single writer already serialises). */
  async lock(tx: Tx, id: string, now: number): Promise<boolean> {
    const result = await tx.updateTable('partners').set({ updated_at: now }).where('id', '=', id).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async list(db: Executor, limit: number, startingAfter?: string): Promise<PartnersTable[]> {
    let query = db.selectFrom('partners').selectAll().orderBy('id', 'desc').limit(limit);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }

  // ---- agreements

  async insertAgreement(tx: Tx, row: PartnerAgreementsTable): Promise<void> {
    await tx.insertInto('partner_agreements').values(row).execute();
  }

  async agreementsOf(db: Executor, partnerId: string): Promise<PartnerAgreementsTable[]> {
    return db.selectFrom('partner_agreements').selectAll().where('partner_id', '=', partnerId).orderBy('id', 'desc').execute();
  }

  // ---- activations

  async insertActivation(tx: Tx, row: PartnerActivationsTable): Promise<boolean> {
    const result = await tx
      .insertInto('partner_activations')
      .values(row)
      .onConflict((oc) => oc.column('entitlement_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async findActivation(db: Executor, entitlementId: string): Promise<PartnerActivationsTable | undefined> {
    return db.selectFrom('partner_activations').selectAll().where('entitlement_id', '=', entitlementId).executeTakeFirst();
  }

  /** Moves an activation on from one of `from`; false when it had moved elsewhere meanwhile. */
  async updateActivation(tx: Tx, entitlementId: string, from: string[], set: Partial<PartnerActivationsTable>): Promise<boolean> {
    const result = await tx
      .updateTable('partner_activations')
      .set(set)
      .where('entitlement_id', '=', entitlementId)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async dueActivations(db: Executor, now: number, limit: number): Promise<Array<{ entitlement_id: string }>> {
    return db
      .selectFrom('partner_activations')
      .select('entitlement_id')
      .where('status', '=', 'requested')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
  }

  async awaitingLink(db: Executor, partnerId: string, memberId: string): Promise<PartnerActivationsTable[]> {
    return db
      .selectFrom('partner_activations')
      .selectAll()
      .where('member_id', '=', memberId)
      .where('partner_id', '=', partnerId)
      .where('status', '=', 'awaiting_link')
      .orderBy('entitlement_id')
      .execute();
  }

  async listActivations(
    db: Executor,
    filter: { status?: string; partnerId?: string; memberId?: string },
    limit: number,
    startingAfter?: string,
  ): Promise<PartnerActivationsTable[]> {
    let query = db.selectFrom('partner_activations').selectAll().orderBy('entitlement_id', 'desc').limit(limit);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.partnerId) query = query.where('partner_id', '=', filter.partnerId);
    if (filter.memberId) query = query.where('member_id', '=', filter.memberId);
    if (startingAfter) query = query.where('entitlement_id', '<', startingAfter);
    return query.execute();
  }

  // ---- account links

  async insertLink(tx: Tx, row: PartnerLinksTable): Promise<void> {
    await tx.insertInto('partner_links').values(row).execute();
  }

  async findLinkByToken(db: Executor, tokenHash: string): Promise<PartnerLinksTable | undefined> {
    return db.selectFrom('partner_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  async confirmedLink(db: Executor, partnerId: string, memberId: string): Promise<PartnerLinksTable | undefined> {
    return db
      .selectFrom('partner_links')
      .selectAll()
      .where('partner_id', '=', partnerId)
      .where('confirmed_member_id', '=', memberId)
      .executeTakeFirst();
  }

  async linkOfPartnerUser(db: Executor, partnerId: string, partnerUserId: string): Promise<PartnerLinksTable | undefined> {
    return db
      .selectFrom('partner_links')
      .selectAll()
      .where('partner_id', '=', partnerId)
      .where('partner_user_id', '=', partnerUserId)
      .executeTakeFirst();
  }

  async linksOfPartnerUsers(db: Executor, partnerId: string, partnerUserIds: string[]): Promise<PartnerLinksTable[]> {
    if (partnerUserIds.length === 0) return [];
    return db
      .selectFrom('partner_links')
      .selectAll()
      .where('partner_id', '=', partnerId)
      .where('partner_user_id', 'in', partnerUserIds)
      .execute();
  }

  async supersedePending(tx: Tx, partnerId: string, memberId: string): Promise<void> {
    await tx
      .updateTable('partner_links')
      .set({ status: 'superseded' })
      .where('partner_id', '=', partnerId)
      .where('member_id', '=', memberId)
      .where('status', '=', 'pending')
      .execute();
  }

  /** Confirms a pending link; false when it was confirmed or superseded meanwhile. */
  async confirmLink(tx: Tx, id: string, partnerUserId: string, memberId: string, now: number): Promise<boolean> {
    const result = await tx
      .updateTable('partner_links')
      .set({ status: 'confirmed', partner_user_id: partnerUserId, confirmed_member_id: memberId, confirmed_at: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async linksOfMember(db: Executor, memberId: string): Promise<PartnerLinksTable[]> {
    return db.selectFrom('partner_links').selectAll().where('member_id', '=', memberId).orderBy('id', 'desc').execute();
  }

  // ---- activity

  /** False when the partner already reported this external id. */
  async insertActivities(tx: Tx, rows: PartnerActivitiesTable[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const inserted = await tx
      .insertInto('partner_activities')
      .values(rows)
      .onConflict((oc) => oc.columns(['partner_id', 'external_id']).doNothing())
      .returning('id')
      .execute();
    return new Set(inserted.map((r) => r.id));
  }

  async activitiesByExternalIds(db: Executor, partnerId: string, externalIds: string[]): Promise<PartnerActivitiesTable[]> {
    if (externalIds.length === 0) return [];
    return db
      .selectFrom('partner_activities')
      .selectAll()
      .where('partner_id', '=', partnerId)
      .where('external_id', 'in', externalIds)
      .execute();
  }

  async activitiesOf(db: Executor, partnerId: string, limit: number, startingAfter?: string, memberId?: string): Promise<PartnerActivitiesTable[]> {
    let query = db.selectFrom('partner_activities').selectAll().where('partner_id', '=', partnerId).orderBy('id', 'desc').limit(limit);
    if (memberId) query = query.where('member_id', '=', memberId);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }
}
