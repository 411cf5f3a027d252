// Boring Marketing's answers turned into Runwatch's model: brands into accounts, runs with stage progress and errors.
import type * as z from 'zod/mini';
import { mapStatus, type Run, type RunError, type RunProgress, type RunStage, type RunStatus } from '../../core/run';
import { humanizeId } from '../../core/labels';
import { isoOrUndefined } from '../common';
import type { Account } from '../../core/ports';
import type { runMetaSchema, WireBrand, WireRun } from './wire';

/** The six stages of a full (/analyze) run, in order. */
export const BM_FULL_STAGES = [
  'brand_enrichment',
  'competitor_discovery',
  'family_discovery',
  'evidence_collection',
  'leverage_scoring',
  'queue_building',
] as const;

const STAGE_LABELS: Record<string, string> = {
  brand_enrichment: 'Brand enrichment',
  competitor_discovery: 'Competitor discovery',
  family_discovery: 'Family discovery',
  evidence_collection: 'Evidence collection',
  leverage_scoring: 'Leverage scoring',
  queue_building: 'Queue building',
};

// ---- mapping -------------------------------------------------------------------------------------

const STATUS_TABLE: Record<string, RunStatus> = {
  queued: 'queued',
  running: 'running',
  done: 'succeeded',
  failed: 'failed',
  // Not documented; tolerated in case the API grows a separate status.
  cancelled: 'cancelled',
  canceled: 'cancelled',
};

export function toAccount(brand: WireBrand): Account {
  const domain = brand.domain ?? undefined;
  const name = brand.name?.trim() || domain || brand.id;
  return {
    provider: 'boringMarketing',
    id: brand.id,
    label: name,
    description: domain && domain !== name ? domain : undefined,
    raw: { ...brand },
  };
}

export function toRun(wire: WireRun, accountId: string): Run {
  const meta = wire.meta ?? {};
  const kind = wire.kind ?? '';
  let status = mapStatus(wire.status, STATUS_TABLE);
  if (status === 'failed' && isCancelled(wire)) status = 'cancelled';
  const startedAt = isoOrUndefined(wire.started_at);
  const finishedAt = isoOrUndefined(wire.finished_at);
  const run: Run = {
    provider: 'boringMarketing',
    accountId: wire.brand_id || accountId,
    id: wire.id,
    kind,
    status,
    rawStatus: wire.status,
    startedAt,
    finishedAt,
    // A summary list entry carries no `meta` and no `error` key: its progress is what the status alone says
    // (a finished full run went through every stage), and its error is left out, so the store keeps what a
    // detail answer gave instead of taking "no stage" or "no reason" (store.ts mergeRun).
    progress: wire.meta !== undefined || status === 'succeeded' ? progressOf(kind, status, meta) : undefined,
    raw: rawOf(wire),
  };
  if (startedAt && finishedAt) run.durationSeconds = Math.max(0, Math.round((Date.parse(finishedAt) - Date.parse(startedAt)) / 1000));
  if (status === 'failed' && wire.error !== undefined) run.error = runError(wire.error ?? undefined, meta.current_stage ?? undefined);
  return run;
}

/**
 * The docs allow both list shapes: the reference says `runs: Run[]`, the polling guide's example shows summaries
 * without `meta` and `error`. Only an entry that carries both keys (null allowed) says what a poll would.
 */
export function isFullRun(wire: WireRun): boolean {
  return wire.meta !== undefined && wire.error !== undefined;
}

function isCancelled(wire: WireRun): boolean {
  const w = wire as Record<string, unknown>;
  const meta = (wire.meta ?? {}) as Record<string, unknown>;
  return w.cancelled === true || meta.cancelled === true || /\bcancel(l)?ed\b|\bcancel(l)?ation\b/i.test(wire.error ?? '');
}

function progressOf(kind: string, status: RunStatus, meta: z.infer<typeof runMetaSchema>): RunProgress | undefined {
  const current = meta.current_stage || undefined;
  const detail = meta.stage_detail || undefined;
  const stageStartedAt = isoOrUndefined(meta.stage_started_at);
  const active = status === 'running' || status === 'queued' || status === 'unknown';

  if (kind === 'full') {
    const index = current ? (BM_FULL_STAGES as readonly string[]).indexOf(current) : -1;
    if (status === 'succeeded') {
      return { stages: BM_FULL_STAGES.map(id => stage(id, 'done')), index: BM_FULL_STAGES.length, total: BM_FULL_STAGES.length };
    }
    if (index < 0) {
      // Queued, or a stage name Runwatch does not know: show what there is without inventing a position.
      if (!current) return { stages: BM_FULL_STAGES.map(id => stage(id, 'pending')), total: BM_FULL_STAGES.length };
      return { current, detail, stageStartedAt };
    }
    const here: RunStage['state'] = active ? 'current' : status === 'failed' ? 'failed' : 'pending';
    // competitor_discovery is skipped silently for brands with competitors; once past it, it reads as done.
    const stages = BM_FULL_STAGES.map((id, i) => stage(id, i < index ? 'done' : i === index ? here : 'pending', i === index && active ? detail : undefined));
    return { stages, current, index: index + 1, total: BM_FULL_STAGES.length, detail: active ? detail : undefined, stageStartedAt: active ? stageStartedAt : undefined };
  }

  // Discovery never reports a stage; single-purpose kinds report their own, or (Analyze page) none.
  if (!current) return detail || stageStartedAt ? { detail, stageStartedAt } : undefined;
  const state: RunStage['state'] =
    status === 'succeeded' ? 'done' : status === 'failed' ? 'failed' : status === 'cancelled' ? 'pending' : status === 'queued' ? 'pending' : 'current';
  return {
    stages: [stage(current, state, active ? detail : undefined)],
    current,
    detail: active ? detail : undefined,
    stageStartedAt: active ? stageStartedAt : undefined,
  };
}

function stage(id: string, state: RunStage['state'], detail?: string): RunStage {
  const s: RunStage = { id, label: STAGE_LABELS[id] ?? humanizeId(id), state };
  if (detail) s.detail = detail;
  return s;
}

/** After a cancel the current stage is no longer running. */
export function markStopped(progress: RunProgress | undefined): RunProgress | undefined {
  if (!progress?.stages) return progress;
  return { ...progress, detail: undefined, stages: progress.stages.map(s => (s.state === 'current' ? { ...s, state: 'pending', detail: undefined } : s)) };
}

function runError(message: string | undefined, step: string | undefined): RunError {
  const text = message?.trim();
  const error: RunError = {
    message: text || 'Boring Marketing marked the run failed without giving a reason (a run cancelled elsewhere can look like this).',
    step,
  };
  const retry = /retry (?:in|after) (\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m)\b/i.exec(text ?? '');
  if (retry) {
    const seconds = Math.round(Number(retry[1]) * (/^m/i.test(retry[2]) ? 60 : 1));
    error.retryAfterSeconds = seconds;
    error.hint = `Wait ${seconds} seconds after the failure, then Re-run. Re-running is safe: pipeline data is append-only and is not duplicated.`;
  } else if (/credits?_exhausted|daily (?:call )?(?:budget|limit)/i.test(text ?? '')) {
    error.hint = 'The daily API call budget is used up; it resets at midnight UTC. Re-run after that.';
  } else if (/expire/i.test(text ?? '')) {
    error.hint = 'The run stopped making progress and was expired. Re-run it.';
  } else if (/audit_data|trigger/i.test(text ?? '')) {
    error.hint = 'Enrich technical needs "Run a technical audit now" switched on (or uploaded audit data). Re-run with it on.';
  } else {
    error.hint = 'Re-run the pipeline: pipeline data is append-only, so re-running does not duplicate anything.';
  }
  return error;
}

/** Every wire field for the tooltip, with meta flattened so kind-specific keys (insights_count …) show. */
function rawOf(wire: WireRun): Record<string, unknown> {
  const { meta, ...rest } = wire as Record<string, unknown> & { meta?: Record<string, unknown> | null };
  const raw: Record<string, unknown> = { ...rest };
  for (const [k, v] of Object.entries(meta ?? {})) raw[`meta.${k}`] = v;
  return raw;
}

export function queuedRun(accountId: string, id: string, kind: string): Run {
  return { provider: 'boringMarketing', accountId, id, kind, status: 'queued', rawStatus: 'queued' };
}
