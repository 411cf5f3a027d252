// Small numeric helpers for the benchmark.

/** The p-th percentile (nearest rank) of the values; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/**
 * Event-loop delay in ms from a perf_hooks.monitorEventLoopDelay histogram: it records the whole time between
 * its timer's firings, so an idle loop reads about `resolutionMs`; the delay is what lies beyond that.
 */
export function loopDelayMs(histogram: { percentile(p: number): number; max: number }, resolutionMs: number, p: number | 'max'): number {
  const ns = p === 'max' ? histogram.max : histogram.percentile(p);
  return Math.max(0, ns / 1e6 - resolutionMs);
}

export function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Median of a few timings. */
export function median(values: number[]): number {
  return percentile(values, 50);
}

/** A plain-text table: first row is the header; columns padded, numbers right-aligned. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map(r => r.map(c => String(c)));
  const widths = cells[0].map((_, i) => Math.max(...cells.map(r => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i > 0 && /^[-+]?[\d.,]+( ?(ms|KB|MB|×|%|s))?$/.test(c) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), widths.map(w => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
