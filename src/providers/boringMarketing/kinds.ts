// Boring Marketing's pipelines (providers.md §1): the nine triggers under /brands/{id}/, their inputs and request shapes.
import { ProviderError } from '../../core/errors';
import type { InputField } from '../../core/ports';

// ---- pipeline kinds ------------------------------------------------------------------------------

export interface KindSpec {
  /** Equal to the run `kind` the API reports, so a listed run maps back to the pipeline that made it. */
  id: string;
  /** Route below /brands/{id}/. */
  route: string;
  label: string;
  description: string;
  inputs: InputField[];
  /** Polled at the 5 s single-stage cadence rather than the 10 s full-pipeline cadence. */
  singleStage: boolean;
  request(input: Record<string, unknown>): { body?: unknown; query?: Record<string, string | boolean> };
}

export const KIND_SPECS: KindSpec[] = [
  {
    id: 'full',
    route: 'analyze',
    label: 'Analyze (full pipeline)',
    description: 'All six stages, from brand enrichment to the action queue (15–30 min).',
    inputs: [],
    singleStage: false,
    request: () => ({}),
  },
  {
    id: 'discovery',
    route: 'discover',
    label: 'Discover',
    description: 'Keyword discovery (10–20 min). Reports no stage progress.',
    inputs: [],
    singleStage: false,
    request: () => ({}),
  },
  {
    id: 'competitor_discovery',
    route: 'discover-competitors',
    label: 'Discover competitors',
    description: 'Competitor research (2–5 min).',
    inputs: [
      {
        name: 'persist',
        label: 'Save the competitors found to the brand',
        type: 'boolean',
        required: false,
        default: true,
        description: 'Off: a dry run that only reports what it found.',
      },
    ],
    singleStage: true,
    request: input => ({ query: { persist: toBoolean(input.persist, true) } }),
  },
  {
    id: 'brand_enrichment',
    route: 'enrich/brand',
    label: 'Enrich brand',
    description: 'Crawl the brand site and extract its identity.',
    inputs: [],
    singleStage: true,
    request: () => ({}),
  },
  {
    id: 'technical_enrichment',
    route: 'enrich/technical',
    label: 'Enrich technical',
    description: 'Technical site audit (5–20 min when triggered; seconds for uploaded audit data).',
    inputs: [
      {
        name: 'trigger',
        label: 'Run a technical audit now',
        type: 'boolean',
        required: false,
        default: true,
        description: 'Without this or audit data the API accepts the request and the run fails at once.',
      },
      {
        name: 'audit_data',
        label: 'Audit data to upload (JSON, optional)',
        type: 'json',
        required: false,
      },
    ],
    singleStage: true,
    request: input => {
      const body: Record<string, unknown> = {};
      if (input.audit_data !== undefined && input.audit_data !== null && input.audit_data !== '') body.audit_data = input.audit_data;
      else if (toBoolean(input.trigger, true)) body.trigger = true;
      return { body };
    },
  },
  {
    id: 'llm_enrichment',
    route: 'enrich/llm',
    label: 'Enrich LLM',
    description: 'LLM visibility enrichment (1–3 min).',
    inputs: [],
    singleStage: true,
    request: () => ({}),
  },
  {
    id: 'synthesize',
    route: 'synthesize',
    label: 'Synthesize',
    description: 'Synthesis over the collected evidence (about 30 s).',
    inputs: [],
    singleStage: true,
    request: () => ({}),
  },
  {
    id: 'scoring',
    route: 'score',
    label: 'Score',
    description: 'Leverage scoring (1–3 min).',
    inputs: [],
    singleStage: true,
    request: () => ({}),
  },
  {
    id: 'brief',
    route: 'brief',
    label: 'Brief',
    description: 'Write a content brief for one action-queue item.',
    inputs: [
      {
        name: 'queue_item_id',
        label: 'Queue item id',
        type: 'string',
        required: true,
        description: "The queue row's id (not its source_id).",
      },
    ],
    singleStage: true,
    request: input => ({ body: { queue_item_id: requiredString(input.queue_item_id, 'queue item id', 'Brief') } }),
  },
  {
    id: 'execution',
    route: 'execute',
    label: 'Execute',
    description: 'Produce the content for a brief (3–8 min).',
    inputs: [
      {
        name: 'brief_id',
        label: 'Brief id',
        type: 'string',
        required: true,
        description: 'From GET /brands/{id}/briefs.',
      },
    ],
    singleStage: true,
    request: input => ({ body: { brief_id: requiredString(input.brief_id, 'brief id', 'Execute') } }),
  },
];

/** A kind by id, route ("score", "enrich/brand") or the label's first word, so that Re-run survives renames. */
export function findKindSpec(idOrRoute: string | undefined): KindSpec | undefined {
  if (!idOrRoute) return undefined;
  const k = idOrRoute.trim().toLowerCase();
  return KIND_SPECS.find(s => s.id === k || s.route === k || s.label.toLowerCase() === k);
}

/** "https://www.Acme.com/about" → "www.acme.com": the API wants a bare domain. */
export function normalizeDomain(value: string): string {
  let v = value.trim().toLowerCase();
  v = v.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  v = v.replace(/^[^@/]*@/, '');
  v = v.split(/[/?#]/)[0];
  return v.replace(/\.$/, '');
}

function toBoolean(value: unknown, fallback: boolean): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    if (/^(true|yes|on|1)$/i.test(value.trim())) return true;
    if (/^(false|no|off|0)$/i.test(value.trim())) return false;
  }
  return fallback;
}

function requiredString(value: unknown, what: string, kindLabel: string): string {
  const s = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
  if (!s) throw new ProviderError('validation', `${kindLabel} needs a ${what}.`);
  return s;
}
