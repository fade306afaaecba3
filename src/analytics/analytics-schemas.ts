import { Type } from '@sinclair/typebox';

const tags = ['analytics'];

const When = (what: string) =>
  Type.String({ minLength: 1, maxLength: 40, description: `${what}: a date (2026-11-01, 00:00 UTC) or an ISO 8601 date-time with a zone.` });
const range = {
  from: Type.Optional(When('Start of the range, inclusive')),
  to: Type.Optional(When('End of the range, exclusive (default: now)')),
};
const IntervalSchema = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], {
  description: 'Bucket size: day, week (ISO, from Monday) or month; UTC.',
});
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 (default CNY).' });
const Id = Type.String({ minLength: 1, maxLength: 64 });

const query = (fields: Record<string, import('@sinclair/typebox').TSchema>) => Type.Object({ ...range, ...fields }, { additionalProperties: false });

const schema = <Q extends ReturnType<typeof query>>(summary: string, querystring: Q) => ({
  tags,
  summary,
  description: 'Shapes and definitions: docs/analytics.md. Errors: 400 parameter_invalid / range_invalid / range_too_large.',
  querystring,
});

export const membersSchema = schema('Members: registered, subscribers, joined and active (buyers) per bucket', query({ interval: Type.Optional(IntervalSchema) }));
export const retentionSchema = schema('Renewal and retention of subscription cohorts by start month', query({ planId: Type.Optional(Id) }));
export const spendSchema = schema('Spend per member beside non-members', query({ currency: Type.Optional(Currency) }));
export const liabilitySchema = schema('Points liability: outstanding points, their cost value and flows per bucket', query({ interval: Type.Optional(IntervalSchema) }));
export const benefitCostSchema = schema('Benefit cost per member: codes issued at unit cost plus partners\' revenue shares', query({ currency: Type.Optional(Currency) }));
export const stockSchema = schema('Stock burn-down per pool and days of stock left at the trailing 7-day burn', query({ poolId: Type.Optional(Id) }));
export const funnelSchema = schema('The redemption funnel: members with points, who could afford an item, who redeemed', query({}));
export const conversionSchema = schema(
  'Cross-platform conversion: of the members who joined in the range, the share active on each partner within N days',
  query({ withinDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'Default 30.' })) }),
);
