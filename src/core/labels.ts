// How runs, kinds and stages are named for people: one reading of provider ids for every surface (tree rows,
// status bar, notifications, documents), with the human label in the text and the raw id left to tooltips.
// Pure, free of `vscode`.
import * as l10n from '@vscode/l10n';
import type { Run, RunProgress } from './run';

const ACRONYMS = new Set(['llm', 'seo', 'api', 'url', 'ai', 'pdf', 'csv', 'json', 'id']);

/**
 * `evidence_collection` → `Evidence collection`, `llm_enrichment` → `LLM enrichment`. Text that already reads
 * as words (`Generate content`, `step 2/4 · Score leads`) is kept as it came.
 */
export function humanizeId(id: string): string {
  const trimmed = id.trim();
  if (!/^[a-z][a-z0-9]*(?:[_-]+[a-z0-9]+)*$/.test(trimmed)) return trimmed;
  const words = trimmed.split(/[_-]+/).map(w => (ACRONYMS.has(w) ? w.toUpperCase() : w));
  const first = words[0];
  words[0] = first === first.toUpperCase() ? first : first.charAt(0).toUpperCase() + first.slice(1);
  return words.join(' ');
}

/** A stage or step as the user reads it: the provider's own label for that id where it gave one. */
export function stageLabel(progress: RunProgress | undefined, id: string): string {
  return progress?.stages?.find(s => s.id === id)?.label || humanizeId(id);
}

/**
 * The tail of a run id, enough to tell runs apart: providers' ids often start with a timestamp or a shared
 * prefix (`agent_run_…`, UUIDv7), so the end is where they differ.
 */
export function shortRunId(id: string): string {
  const alnum = id.replace(/[^A-Za-z0-9]/g, '');
  if (id.length <= 8 || alnum.length <= 6) return id;
  return alnum.slice(-6);
}

/** What the run is, in words: the provider's label for the kind, or the kind made readable. */
export function kindLabel(run: Pick<Run, 'kind'>, providerLabel?: (kind: string) => string | undefined): string {
  if (!run.kind) return l10n.t('Run');
  return providerLabel?.(run.kind) || humanizeId(run.kind);
}

/**
 * The row label that says which run: `Analyze #4f9c21`. Where the kind is the account's own name (a GloriaMundo
 * or Adlyse workflow), the row sits under that name already, so it reads `Run #4f9c21`, not the name twice.
 */
export function runLabel(run: Pick<Run, 'kind' | 'id'>, accountLabel: string, providerLabel?: (kind: string) => string | undefined): string {
  const kind = kindLabel(run, providerLabel);
  const repeatsAccount = kind.trim().toLowerCase() === accountLabel.trim().toLowerCase();
  return `${repeatsAccount ? l10n.t('Run') : kind} #${shortRunId(run.id)}`;
}

/** A run in a sentence (notifications, documents): `Analyze on acme.com`, or `Daily digest` where the kind is the account. */
export function runTitle(run: Pick<Run, 'kind'>, accountLabel: string, providerLabel?: (kind: string) => string | undefined): string {
  const kind = kindLabel(run, providerLabel);
  return kind.trim().toLowerCase() === accountLabel.trim().toLowerCase() ? kind : l10n.t('{0} on {1}', kind, accountLabel);
}
