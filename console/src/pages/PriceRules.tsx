import type { ApiError } from '../api.js';
import { minorDigits, toMinor } from '../format.js';
import type { Money } from '../types.js';
import { Field } from '../ui.js';

export interface PriceRow {
  key: number;
  minLoyaltyScore: string;
  amount: string;
}

let nextKey = 1;
export const newPriceRow = (minLoyaltyScore = '', amount = ''): PriceRow => ({ key: nextKey++, minLoyaltyScore, amount });

/** Rows as the API takes them; text that is not a number goes through as-is so the API names the field. */
export function priceRulesBody(rows: PriceRow[], currency: string): Array<{ minLoyaltyScore?: number; amount: Money | { amount: unknown; currency: string } }> {
  return rows.map((row) => {
    const min = row.minLoyaltyScore.trim();
    const minor = toMinor(row.amount, currency);
    return {
      ...(min === '' ? {} : { minLoyaltyScore: /^\d+$/.test(min) ? Number(min) : (min as unknown as number) }),
      amount: { amount: minor ?? row.amount, currency },
    };
  });
}

/** Editor for a plan's price rules: minLoyaltyScore → amount, and one default (no minimum). */
export function PriceRulesEditor({
  rows,
  onChange,
  currency,
  error,
}: {
  rows: PriceRow[];
  onChange: (rows: PriceRow[]) => void;
  currency: string;
  error: ApiError | null;
}) {
  const update = (key: number, patch: Partial<PriceRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  return (
    <fieldset className="price-rules">
      <legend>Price rules</legend>
      <p className="field-hint">
        The member pays the rule with the highest minimum loyalty score they reach; leave the minimum empty for the default price.
        Amounts in {currency} ({minorDigits(currency)} decimals).
      </p>
      {rows.map((row, i) => (
        <div className="price-row" key={row.key} data-testid="price-row">
          <Field label="Min. loyalty score" param={`prices.${i}.minLoyaltyScore`} error={error}>
            <input
              name={`prices.${i}.minLoyaltyScore`}
              inputMode="numeric"
              placeholder="default"
              value={row.minLoyaltyScore}
              onChange={(e) => update(row.key, { minLoyaltyScore: e.target.value })}
            />
          </Field>
          <Field label={`Price (${currency})`} param={`prices.${i}.amount`} error={error}>
            <input
              name={`prices.${i}.amount`}
              inputMode="decimal"
              placeholder="88.00"
              value={row.amount}
              onChange={(e) => update(row.key, { amount: e.target.value })}
            />
          </Field>
          <button type="button" className="secondary small" onClick={() => onChange(rows.filter((r) => r.key !== row.key))} disabled={rows.length <= 1}>
            Remove
          </button>
        </div>
      ))}
      <Field label="" param="prices" error={error}>
        <button type="button" className="secondary small" onClick={() => onChange([...rows, newPriceRow()])}>
          Add a price rule
        </button>
      </Field>
    </fieldset>
  );
}
