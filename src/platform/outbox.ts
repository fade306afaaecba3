import type { Clock } from './clock.js';
import { newId } from './ids.js';
import type { Tx } from '../schema.js';

/**
 * Events that must leave the process (webhooks, partner calls, alerts) are written here in the
 * same transaction as the change that caused them; a delivery job reads them afterwards.
 */
export class Outbox {
  constructor(private readonly clock: Clock) {}

  async add(tx: Tx, topic: string, subjectId: string, payload: Record<string, unknown>): Promise<string> {
    const id = newId('evt');
    await tx
      .insertInto('outbox_events')
      .values({ id, topic, subject_id: subjectId, payload: JSON.stringify(payload), created_at: this.clock.now(), delivered_at: null })
      .execute();
    return id;
  }
}
