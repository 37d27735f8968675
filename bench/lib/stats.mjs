/** Small statistics helpers; every function ignores null, undefined and NaN entries. */

function numbers(values) {
  return values.filter((v) => typeof v === 'number' && !Number.isNaN(v));
}

/** Nearest-rank percentile (0–100) of `values`, or null when there are none. */
export function percentile(values, p) {
  const sorted = numbers(values).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** The median (mean of the two middle values for an even count), or null. */
export function median(values) {
  const sorted = numbers(values).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function maximum(values) {
  const present = numbers(values);
  return present.length === 0 ? null : Math.max(...present);
}

/** (max − min) / median, in percent: how much rounds disagree. Null below two values. */
export function spreadPercent(values) {
  const present = numbers(values);
  const mid = median(present);
  if (present.length < 2 || !mid) return null;
  return (100 * (Math.max(...present) - Math.min(...present))) / mid;
}
