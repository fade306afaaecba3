/** One party's share of a joint product's price: a fixed amount, or a percentage of what the fixed shares leave. */
export interface Share {
  party: string;
  /** Minor units. */
  fixed?: number;
  /** Percent with up to four decimals, e.g. 33.3333. */
  percent?: number;
}

export const PERCENT_SCALE = 10_000; // 1 percent = 10,000 units; 100% = 1,000,000

export function percentUnits(percent: number): number | undefined {
  const units = Math.round(percent * PERCENT_SCALE);
  return Math.abs(units - percent * PERCENT_SCALE) < 1e-6 ? units : undefined;
}

/**
 * Divides `total` in proportion to `weights` exactly: each gets the floor of its share, and the
 * minor units left over go one each to the largest remainders (earlier parties first on ties).
 */
export function divideByWeights(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, w) => a + BigInt(w), 0n);
  if (sum === 0n) return weights.map(() => 0);
  const big = BigInt(total);
  const parts = weights.map((w) => (big * BigInt(w)) / sum);
  const remainders = weights.map((w, i) => ({ i, r: (big * BigInt(w)) % sum }));
  let left = Number(big - parts.reduce((a, p) => a + p, 0n));
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left <= 0) break;
    parts[i]! += 1n;
    left--;
  }
  return parts.map(Number);
}

/** Checks a split against a price; the problem and the offending share's position, if any. */
export function checkSplit(shares: Share[], price: number): { message: string; index: number } | undefined {
  const parties = new Set<string>();
  let fixed = 0;
  let percent = 0;
  for (const [index, share] of shares.entries()) {
    if (parties.has(share.party)) return { message: `party '${share.party}' appears twice`, index };
    parties.add(share.party);
    if ((share.fixed === undefined) === (share.percent === undefined)) {
      return { message: 'each share has either fixed or percent', index };
    }
    if (share.fixed !== undefined) fixed += share.fixed;
    if (share.percent !== undefined) {
      const units = percentUnits(share.percent);
      if (units === undefined) return { message: 'percent has at most four decimals', index };
      percent += units;
    }
  }
  if (fixed > price) return { message: `fixed shares (${fixed}) exceed the price (${price})`, index: 0 };
  const hasPercent = shares.some((s) => s.percent !== undefined);
  if (hasPercent && percent !== 100 * PERCENT_SCALE) return { message: 'percentages must sum to exactly 100', index: 0 };
  if (!hasPercent && fixed !== price) return { message: `fixed shares must sum to the price (${price}) when no share is a percentage`, index: 0 };
  return undefined;
}

/** Each party's part of a sale at `price`: fixed shares first, the rest by percentage; sums to `price` exactly. */
export function splitSale(shares: Share[], price: number): number[] {
  const fixed = shares.reduce((a, s) => a + (s.fixed ?? 0), 0);
  const percentages = divideByWeights(
    price - fixed,
    shares.map((s) => (s.percent === undefined ? 0 : percentUnits(s.percent)!)),
  );
  return shares.map((s, i) => (s.fixed ?? 0) + percentages[i]!);
}
