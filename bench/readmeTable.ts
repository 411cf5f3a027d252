// Regenerates the README's benchmark table (between <!-- bench:start --> and <!-- bench:end -->) from
// bench/results/latest.json, so the README never shows a figure the results file does not hold.
// Run by `npm run bench` at the end, or alone: `npm run bench:readme`.
import * as fs from 'node:fs';
import * as path from 'node:path';

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

type Range = [number | null, number | null];
interface PolicyEntry {
  name: string;
  windows: number;
  pareto?: boolean;
  range: Record<string, Range>;
  [figure: string]: unknown;
}

const num = (v: unknown, digits: number) => (typeof v === 'number' && Number.isFinite(v) ? (Math.round(v * 10 ** digits) / 10 ** digits).toString() : '–');

function cell(p: PolicyEntry, figure: string, digits: number): string {
  const m = p[figure];
  if (typeof m !== 'number') return '–';
  const [lo, hi] = p.range?.[figure] ?? [m, m];
  return lo === hi ? num(m, digits) : `${num(m, digits)} (${num(lo, digits)}–${num(hi, digits)})`;
}

/** The provider where Runwatch's p95 staleness in seconds is furthest behind `peer`'s, as words ('' if none is). */
function widestGap(rw: PolicyEntry, peer: PolicyEntry): string {
  type ByProvider = { provider: string; stalenessP95?: number }[];
  const theirs = new Map(((peer.byProvider ?? []) as ByProvider).map(b => [b.provider, b.stalenessP95]));
  let widest: { provider: string; ours: number; theirs: number } | undefined;
  for (const b of (rw.byProvider ?? []) as ByProvider) {
    const other = theirs.get(b.provider);
    if (typeof b.stalenessP95 !== 'number' || typeof other !== 'number' || b.stalenessP95 <= other) continue;
    if (!widest || b.stalenessP95 - other > widest.ours - widest.theirs) widest = { provider: b.provider, ours: b.stalenessP95, theirs: other };
  }
  return widest ? `; furthest behind on ${widest.provider}, ${num(widest.ours, 1)} s against ${num(widest.theirs, 1)}` : '';
}

/** Where Runwatch is not ahead, in words, from the medians. */
function notAhead(policies: PolicyEntry[]): string {
  const rw = policies.find(p => p.name === 'runwatch');
  if (!rw) return '';
  // Every other row of the table, the self-test included: a reader compares Runwatch with each row.
  const others = policies.filter(p => p !== rw);
  const parts: string[] = [];
  const dominating = others.filter(
    p => (p.requestsPerLowerBound as number) <= (rw.requestsPerLowerBound as number) && (p.stalenessP95Cadence as number) <= (rw.stalenessP95Cadence as number) && (p.retryAfterViolations as number) <= (rw.retryAfterViolations as number),
  );
  if (dominating.length) parts.push(`${dominating.map(p => p.name).join(' and ')} beat${dominating.length === 1 ? 's' : ''} Runwatch on requests and p95 staleness at once, with no more Retry-After violations`);
  const fewer = others.filter(p => (p.requestsPerLowerBound as number) < (rw.requestsPerLowerBound as number));
  if (fewer.length) parts.push(`Fewer requests: ${fewer.map(p => `${p.name} (${num(p.requestsPerLowerBound, 2)} × the lower bound against Runwatch's ${num(rw.requestsPerLowerBound, 2)}, at p95 staleness ${num(p.stalenessP95Cadence, 2)} × cadence against ${num(rw.stalenessP95Cadence, 2)})`).join('; ')}`);
  // Overlapping ranges over the repeats: the difference is within what the repeats vary by.
  const overlaps = (p: PolicyEntry, figure: string) => {
    const [lo, hi] = p.range?.[figure] ?? [];
    const [rwLo, rwHi] = rw.range?.[figure] ?? [];
    return typeof lo === 'number' && typeof hi === 'number' && typeof rwLo === 'number' && typeof rwHi === 'number' && lo <= rwHi && rwLo <= hi;
  };
  /** The peers whose p95 staleness (`figure`, in `unit`) is below Runwatch's, each with its violations and `more`. */
  const lowerStaleness = (title: string, figure: string, unit: string, digits: number, more: (p: PolicyEntry) => string) => {
    const fresher = others.filter(p => (p[figure] as number) < (rw[figure] as number));
    if (!fresher.length) return;
    parts.push(
      `${title}: ${fresher
        .map(p => `${p.name} (${cell(p, figure, digits)} ${unit} against Runwatch's ${cell(rw, figure, digits)}${overlaps(p, figure) ? ', ranges overlapping' : ''}, with ${num(p.retryAfterViolations, 0)} Retry-After violations${more(p)})`)
        .join('; ')}`,
    );
  };
  lowerStaleness('Lower p95 staleness', 'stalenessP95Cadence', '× cadence', 2, p => ` and ${num(p.requestsPerLowerBound, 2)} × the lower bound`);
  // In seconds the tail weighs providers by their cadence: a slow provider's pause counts for more. Named apart,
  // with the provider where Runwatch's p95 is furthest behind that peer's.
  lowerStaleness('Lower p95 staleness in seconds', 'stalenessP95', 's', 1, p => widestGap(rw, p));
  const quieter = others.filter(p => typeof p.idleRequestsPerHour === 'number' && (p.idleRequestsPerHour as number) < (rw.idleRequestsPerHour as number));
  if (quieter.length) {
    parts.push(
      `Idle: with nothing running and the Runs view visible, Runwatch makes ${num(rw.idleRequestsPerHour, 0)} requests an hour (its 60 s list refresh, which finds runs started elsewhere, in a focused window; an unfocused one lists 3 times less often by default, \`polling.whenUnfocused\` \`slow\`); ${quieter.map(p => p.name).join(', ')} make ${num(Math.min(...quieter.map(p => p.idleRequestsPerHour as number)), 0)} (they list nothing)`,
    );
  }
  const overBound = (rw.requestsPerLowerBound as number) > 1.05 ? [`Runwatch itself makes ${num(rw.requestsPerLowerBound, 2)} × the lower bound`] : [];
  const violations = (rw.retryAfterViolations as number) > 0 ? [`Runwatch sent ${num(rw.retryAfterViolations, 0)} request(s) inside a Retry-After pause`] : [];
  const second = typeof rw.secondWindowRequests === 'number' && rw.secondWindowRequests > 0 ? [`its second window made ${rw.secondWindowRequests} requests`] : [];
  const all = [...parts, ...overBound, ...violations, ...second];
  return all.length ? `Where Runwatch is not ahead: ${all.join('. ')}.` : 'Runwatch is ahead of or level with every peer on every figure in this table.';
}

/** The short workload at each time scale (results.timeScales): Runwatch's figures and the self-test, per scale. */
function timeScaleTable(scales: Record<string, any> | undefined): string[] {
  const rows = (scales?.byScale ?? []) as { timeScale: number; runsPlanned: number; workloadRealSeconds: number; policies: PolicyEntry[] }[];
  if (!rows.length) return [];
  const lines = [
    '',
    `Time scales: the short workload (${num(rows[0].runsPlanned, 0)} runs started over ${num((scales?.method?.startWindowMs ?? NaN) / 60_000, 1)} simulated min), one repeat per scale with the same seed, commit ${String(scales?.commit ?? '?').slice(0, 7)}. A figure that moves with the scale measures the machine keeping time, not the policy.`,
    '',
    '| Time scale | Real s | runwatch ÷ lower bound | runwatch p95 × cadence | runwatch p95 × cadence from knowable | runwatch Retry-After violations | fixed-cadence ÷ cadence reference (self-test) | buildkite-10s p95 × cadence |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const of = (name: string) => row.policies.find(p => p.name === name);
    const rw = of('runwatch');
    const fc = of('fixed-cadence');
    const bk = of('buildkite-10s');
    lines.push(
      `| ${row.timeScale} | ${num(row.workloadRealSeconds, 0)} | ${num(rw?.requestsPerLowerBound, 2)} | ${num(rw?.stalenessP95Cadence, 2)} | ${num(rw?.stalenessKnowableP95Cadence, 2)} | ${num(rw?.retryAfterViolations, 0)} | ${num(fc?.requestsPerCadenceReference, 3)} | ${num(bk?.stalenessP95Cadence, 2)} |`,
    );
  }
  // Peers without Retry-After violations whose p95 × cadence is below Runwatch's at a scale, said plainly.
  const behind = rows.flatMap(row => {
    const rw = row.policies.find(p => p.name === 'runwatch');
    if (typeof rw?.stalenessP95Cadence !== 'number') return [];
    return row.policies
      .filter(p => p.name !== 'runwatch' && p.retryAfterViolations === 0 && typeof p.stalenessP95Cadence === 'number' && p.stalenessP95Cadence < (rw.stalenessP95Cadence as number))
      .map(p => `at scale ${row.timeScale}, ${p.name} (${num(p.stalenessP95Cadence, 2)} against ${num(rw.stalenessP95Cadence, 2)})`);
  });
  if (behind.length) lines.push('', `Lower p95 × cadence than Runwatch's in this short workload, with no Retry-After violations: ${behind.join('; ')}.`);
  lines.push('');
  return lines;
}

/** bench:startup's figures (startup-latest.json), in words: the fresh install and the returning user. */
function startupLine(startup: Record<string, any> | undefined): string | undefined {
  const r = startup?.returningUser;
  if (!startup || typeof startup.medianMs !== 'number' || !r) return undefined;
  const icu = startup.icuFirstUseMs;
  return (
    `Start-up in plain Node (\`npm run bench:startup\`, commit ${String(startup.commit ?? '?').slice(0, 7)}; launcher require + \`activate()\` with a stub \`vscode\`, no extension host around it): ` +
    `a fresh install ${num(startup.medianMs, 1)} ms (${num(startup.rangeMs?.[0], 1)}–${num(startup.rangeMs?.[1], 1)}); ` +
    `a returning user with ${typeof r.runs === 'number' ? r.runs.toLocaleString('en-US') : '–'} saved runs (${num(r.activeRuns, 0)} running, key set) ${num(r.medianMs, 1)} ms (${num(r.rangeMs?.[0], 1)}–${num(r.rangeMs?.[1], 1)}), ` +
    `which parses every saved run, builds the status bar's text and publishes the store for other windows` +
    (icu ? `; that text is the process's first Intl formatter, which alone costs ${num(icu.median, 1)} ms (${num(icu.min, 1)}–${num(icu.max, 1)})` : '') +
    '. The windows above measure a fresh install only.'
  );
}

export function renderTable(results: Record<string, any>, startup?: Record<string, any>): string {
  const policies = (results.policies ?? []) as PolicyEntry[];
  const lines: string[] = [];
  const date = typeof results.date === 'string' ? results.date.slice(0, 10) : '?';
  lines.push(
    `Generated by \`npm run bench\` from \`bench/results/latest.json\` (commit ${String(results.commit ?? '?').slice(0, 7)}${results.dirty ? ', with uncommitted changes' : ''}; ${date}; ` +
      `${results.cores} cores, Node ${results.node}; ${results.repeats} seeded repeats, median and (min–max)). Load average ${num(results.loadAverage1m, 2)} at the start; at time scale ${num(results.method?.timeScale, 0)} every real millisecond late is that many simulated ones, so the staleness tails measure the machine too.`,
  );
  lines.push('');
  lines.push(
    '| Policy | Requests | ÷ lower bound | Staleness p50 / p95 / max (s) | × cadence p50 / p95 / max | p95 × cadence from knowable | Retry-After violations | Resume after a pause (s) | Idle requests / h | Second-window requests | Connections opened |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of policies) {
    lines.push(
      `| ${p.name === 'runwatch' ? '**runwatch**' : p.name} | ${cell(p, 'requests', 0)} | ${cell(p, 'requestsPerLowerBound', 2)} | ${cell(p, 'stalenessP50', 1)} / ${cell(p, 'stalenessP95', 1)} / ${cell(p, 'stalenessMax', 1)} | ${cell(p, 'stalenessP50Cadence', 2)} / ${cell(p, 'stalenessP95Cadence', 2)} / ${cell(p, 'stalenessMaxCadence', 2)} | ${cell(p, 'stalenessKnowableP95Cadence', 2)} | ${cell(p, 'retryAfterViolations', 0)} | ${cell(p, 'resumeAfterPauseP50', 1)} | ${cell(p, 'idleRequestsPerHour', 0)} | ${p.windows === 2 ? cell(p, 'secondWindowRequests', 0) : '– (one window)'} | ${cell(p, 'connectionsOpened', 0)} |`,
    );
  }
  lines.push('');
  lines.push(
    '"From knowable" starts each change\'s clock no earlier than the policy could have known it (the run known to the polling window, a `Retry-After` pause or an outage over): what is left is the policy\'s own timing. "Resume after a pause" is the median time from the end of a `Retry-After` pause to the policy\'s next request to that provider.',
  );
  lines.push('');
  const st = results.selfTest;
  if (st) lines.push(`Self-test: \`fixed-cadence\` makes ${num(st.requestsPerCadenceReference, 3)} × the documented-cadence reference (target 1.00 ± 0.03).`);
  const a = results.activation;
  if (a && typeof a.medianMs === 'number') {
    const range = Array.isArray(a.rangeMs) ? ` (${num(a.rangeMs[0], 1)}–${num(a.rangeMs[1], 1)})` : '';
    const gate = typeof a.gateMs === 'number' ? `; gate ≤ ${a.gateMs} ms ${a.gateMet ? 'met' : '**not met**'}` : '';
    lines.push(`Activation in the VS Code host: ${num(a.medianMs, 1)} ms${range} over ${a.samples} fresh window${a.samples === 1 ? '' : 's'}, bundle load ${a.includesBundleLoad ? 'included' : 'not included'}${gate}.`);
    const own = a.parts?.launcherActivateMs;
    const rest = a.parts?.hostLessLauncherMs;
    if (own && rest) {
      const ahead: string[] = a.aheadInBatch ?? [];
      lines.push(
        `Of it, Runwatch's own \`activate()\` call (reading, compiling with the code cache and running the bundle, composing Runwatch): ${num(own.median, 1)} ms (${num(own.min, 1)}–${num(own.max, 1)}); ` +
          `the rest, ${num(rest.median, 1)} ms (${num(rest.min, 1)}–${num(rest.max, 1)}), is the host's code-loading clock, which it starts before an await and so also counts loading the extensions activated just ahead for the same event${ahead.length ? ` (${ahead.join(', ')})` : ''}.` +
          (a.control
            ? ` The control, an extension whose \`activate()\` does nothing, activated for the same event in the same windows: ${num(a.control.medianMs, 1)} ms (${num(a.control.rangeMs?.[0], 1)}–${num(a.control.rangeMs?.[1], 1)}); Runwatch above it, window by window: ${num(a.control.runwatchAboveControlMs?.median, 1)} ms (${num(a.control.runwatchAboveControlMs?.min, 1)}–${num(a.control.runwatchAboveControlMs?.max, 1)}).`
            : '') +
          (a.firstStart ? ` The first start after an install, before the code cache exists: ${num(a.firstStart.hostMs, 0)} ms.` : ''),
      );
    }
  }
  lines.push(...timeScaleTable(results.timeScales));
  const started = startupLine(startup);
  if (started) lines.push(started);
  const c = results.tree?.completion;
  if (c) {
    const span = (f: { median: number; min: number; max: number }, digits: number) => `${num(f.median, digits)} (${num(f.min, digits)}–${num(f.max, digits)})`;
    lines.push(
      `Tree, the Runs view rendered in the workbench, one run going running → succeeded under a brand of ${typeof results.tree.activeRuns === 'number' ? results.tree.activeRuns.toLocaleString('en-US') : '–'} active runs (${c.samples} samples): the workbench made ${span(c.getChildrenCalls, 0)} getChildren and ${span(c.getTreeItemCalls, 0)} getTreeItem calls, the last ${span(c.updateMs, 2)} ms after the store change (extension host clock, paint not included).`,
    );
  }
  lines.push('');
  lines.push(notAhead(policies));
  return lines.join('\n');
}

export function writeReadmeTable(root: string): string {
  const readme = path.join(root, 'README.md');
  const results = JSON.parse(fs.readFileSync(path.join(root, 'bench', 'results', 'latest.json'), 'utf8'));
  const text = fs.readFileSync(readme, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return `README.md has no ${START} … ${END} markers: table not written`;
  const startupFile = path.join(root, 'bench', 'results', 'startup-latest.json');
  const startup = fs.existsSync(startupFile) ? JSON.parse(fs.readFileSync(startupFile, 'utf8')) : undefined;
  const next = `${text.slice(0, start + START.length)}\n${renderTable(results, startup)}\n${text.slice(end)}`;
  if (next !== text) fs.writeFileSync(readme, next);
  return `README.md benchmark table ${next === text ? 'already up to date' : 'regenerated'} from bench/results/latest.json`;
}

if (require.main === module) {
  console.log(writeReadmeTable(path.resolve(__dirname, '..', '..')));
}
