import type { Tx } from '../schema.js';

export interface PaymentRequest {
  memberId: string;
  subscriptionId: string;
  periodId: string;
  amount: number;
  currency: string;
  description: string;
}

export interface RefundRequest {
  memberId: string;
  subscriptionId: string;
  paymentId: string;
  amount: number;
  currency: string;
  reason: string;
}

export interface PaymentOutcome {
  status: 'succeeded' | 'failed';
  method: string;
  reference: string | null;
  failureReason?: string;
}

/**
 * The payment step of a subscription. Runs inside the subscription's transaction; a gateway
 * that calls out must make its call idempotent on the period id, since a transaction can be
 * retried.
 */
export interface PaymentGateway {
  charge(tx: Tx, request: PaymentRequest): Promise<PaymentOutcome>;
  refund(tx: Tx, request: RefundRequest): Promise<PaymentOutcome>;
}

/** The embedded default: the payment was taken outside Tessera (cash, a bank transfer) and is recorded as made. */
export class ManualPayments implements PaymentGateway {
  async charge(_tx: Tx, request: PaymentRequest): Promise<PaymentOutcome> {
    return { status: 'succeeded', method: 'manual', reference: `manual:${request.periodId}` };
  }

  async refund(_tx: Tx, request: RefundRequest): Promise<PaymentOutcome> {
    return { status: 'succeeded', method: 'manual', reference: `manual-refund:${request.paymentId}` };
  }
}
