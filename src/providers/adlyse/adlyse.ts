// Adlyse's adlyse-workflows MCP server (providers.md §5–6, seeds/004): workflows are the accounts, one
// "run" kind per workflow whose inputs come from its input_schema, run_workflow starts a run and
// get_run_status polls it every second as the docs' polling pattern does. There is no run listing and no
// cancel tool. The MCP session (the SDK) lives in ./mcpSession, a separate bundle loaded on first use.
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { fetchDispatcher } from '../../core/network';
import { ProviderError, isProviderError, redact, registerSecret, registerSecretPatterns, secretRedactor, type ProviderErrorKind } from '../../core/errors';
import { COMMON_STATUS_WORDS, mapStatus, type Run, type RunError } from '../../core/run';
import { checkPrefix, isoOrUndefined, rawRecord } from '../common';
import { isUnfiled } from '../../core/unfiled';
import type {
  Account,
  InputField,
  KeyCheck,
  PipelineKind,
  Provider,
  ProviderCapabilities,
  ProviderContext,
  RunPage,
  RunRef,
  StartResult,
  ProviderDescriptor,
} from '../provider';
import type { McpSession, McpToolResult } from './mcpSession';

const NAME = 'Adlyse';

/** The polling pattern in the get_run_status docs sleeps 1 second between calls. */
export const ADLYSE_CADENCE_MS = 1_000;


/** Name of the single input of a workflow whose input_schema is absent or not an object schema. */
export const ADLYSE_JSON_INPUT = 'input_data';

// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
const workflowSummarySchema = z.lazy(() => z.looseObject({
  id: z.string(),
  name: z.nullish(z.string()),
  description: z.nullish(z.string()),
  updated_at: z.nullish(z.string()),
}));
type WorkflowSummary = z.infer<typeof workflowSummarySchema>;
const listSchema = z.lazy(() => z.union([
  z.array(workflowSummarySchema),
  z.looseObject({ workflows: z.array(workflowSummarySchema) }),
  z.looseObject({ items: z.array(workflowSummarySchema) }),
]));

const workflowSchema = z.lazy(() => z.looseObject({
  id: z.nullish(z.string()),
  name: z.nullish(z.string()),
  description: z.nullish(z.string()),
  input_schema: z.optional(z.unknown()),
  output_schema: z.optional(z.unknown()),
  created_at: z.nullish(z.string()),
  updated_at: z.nullish(z.string()),
}));
type WorkflowBody = z.infer<typeof workflowSchema>;

const startSchema = z.lazy(() => z.looseObject({
  run_id: z.string(),
  status: z.nullish(z.string()),
}));

const runStatusSchema = z.lazy(() => z.looseObject({
  run_id: z.nullish(z.string()),
  status: z.string(),
  created_at: z.nullish(z.string()),
  output: z.optional(z.unknown()),
  completed_at: z.nullish(z.string()),
  cancelled_at: z.nullish(z.string()),
  duration_seconds: z.nullish(z.number()),
  // The docs show a string from the failing node; an {message} object is read too rather than refused.
  error: z.nullish(z.union([z.string(), z.looseObject({ message: z.nullish(z.string()), node: z.nullish(z.string()) })])),
}));
type RunStatusBody = z.infer<typeof runStatusSchema>;

/** A JSON Schema, as far as Runwatch reads one. */
interface SchemaNode {
  type?: unknown;
  title?: unknown;
  description?: unknown;
  properties?: unknown;
  required?: unknown;
  items?: unknown;
  enum?: unknown;
  default?: unknown;
  examples?: unknown;
  format?: unknown;
  writeOnly?: unknown;
}

export class AdlyseProvider implements Provider {
  readonly id = 'adlyse' as const;
  readonly displayName = NAME;
  readonly capabilities: ProviderCapabilities = {
    listAccounts: true,
    addAccount: 'none',
    listRuns: false,
    cancel: false,
    cancelUnavailableReason: 'Adlyse has no cancel tool for workflow runs.',
    result: true,
    // get_run_status takes the run id alone.
    trackWithoutAccount: true,
  };
  readonly keyHelp = {
    prompt: 'Adlyse API key (Admin → API Keys; shown once, starts with mii_) or an OAuth token (mf_oauth_…)',
    placeholder: 'mii_prod_…',
  };

  private session?: Promise<McpSession>;
  /** get_workflow answers, per workflow id: the input and output schemas rarely change during a session. */
  private readonly workflows = new Map<string, WorkflowBody>();
  /** Workflow names seen in list_workflows, for run labels. */
  private readonly names = new Map<string, string>();

  constructor(readonly context: ProviderContext) {
    // Its key shapes are scrubbed wherever this adapter is used, registry or not (the registry adds them too).
    registerSecretPatterns(adlyseDescriptor.secretPatterns);
  }

  checkKeyFormat(key: string): KeyCheck {
    return checkPrefix(key, adlyseDescriptor.keyPrefixes, NAME);
  }

  async validateKey(): Promise<void> {
    await this.call('list_workflows', {});
  }

  cadenceMs(): number {
    return ADLYSE_CADENCE_MS;
  }

  async listAccounts(): Promise<Account[]> {
    const data = parse(listSchema, await this.call('list_workflows', {}), 'list_workflows');
    const items: WorkflowSummary[] = Array.isArray(data) ? data : ((data as { workflows?: WorkflowSummary[] }).workflows ?? (data as { items: WorkflowSummary[] }).items);
    return items.map(w => {
      const label = w.name?.trim() || w.id;
      this.names.set(w.id, label);
      return { provider: this.id, id: w.id, label, description: w.description ?? undefined, raw: rawRecord(w) };
    });
  }

  async listRuns(_account: Account, _cursor?: string): Promise<RunPage> {
    return { runs: [] };
  }

  async listKinds(account: Account): Promise<PipelineKind[]> {
    const workflow = await this.workflow(account.id, true);
    const name = workflow.name?.trim() || account.label;
    return [{ id: 'run', label: `Run ${name}`, description: workflow.description ?? undefined, inputs: inputFields(workflow.input_schema) }];
  }

  async startRun(account: Account, kind: PipelineKind, input: Record<string, unknown>): Promise<StartResult> {
    const inputData = buildInputData(kind, { ...input, ...(await this.readSecrets(kind, input)) });
    const data = parse(startSchema, await this.call('run_workflow', { workflow_id: account.id, input_data: inputData }, false), 'run_workflow');
    const rawStatus = data.status ?? 'pending';
    const run: Run = {
      provider: this.id,
      accountId: account.id,
      id: data.run_id,
      kind: this.names.get(account.id) ?? account.label,
      status: mapStatus(rawStatus, COMMON_STATUS_WORDS),
      rawStatus,
      // run_workflow gives no created_at; the run was created just now.
      startedAt: new Date().toISOString(),
      raw: rawRecord(data),
    };
    return { run };
  }

  async getRun(ref: RunRef): Promise<Run> {
    const data = parse(runStatusSchema, await this.call('get_run_status', { run_id: ref.id }), 'get_run_status');
    const status = mapStatus(data.status, COMMON_STATUS_WORDS);
    const raw = rawRecord(data) ?? {};
    // Show Result labels the output from the workflow's output_schema; a failure to fetch it only costs labels.
    if (status === 'succeeded' && !isUnfiled(ref.accountId)) {
      const workflow = await this.workflow(ref.accountId, false).catch(() => undefined);
      if (workflow?.output_schema !== undefined) raw.output_schema = workflow.output_schema;
    }
    const run: Run = {
      provider: this.id,
      accountId: ref.accountId,
      id: data.run_id ?? ref.id,
      kind: ref.kind ?? this.names.get(ref.accountId) ?? this.workflows.get(ref.accountId)?.name ?? (isUnfiled(ref.accountId) ? '' : ref.accountId),
      status,
      rawStatus: data.status,
      startedAt: isoOrUndefined(data.created_at),
      finishedAt: isoOrUndefined(data.completed_at) ?? isoOrUndefined(data.cancelled_at),
      raw,
    };
    if (data.duration_seconds !== undefined && data.duration_seconds !== null) run.durationSeconds = data.duration_seconds;
    if (status === 'succeeded' && data.output !== undefined) run.result = data.output;
    if (status === 'failed') run.error = runError(data);
    return run;
  }

  async dispose(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session) await (await session.catch(() => undefined))?.close();
  }

  /**
   * The kind's secret fields (format: password, writeOnly) not given in the input, from SecretStorage, where
   * Start Run put them; registered for redaction. A required one that is missing is asked for by name.
   */
  private async readSecrets(kind: PipelineKind, input: Record<string, unknown>): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const missing: string[] = [];
    for (const field of kind.inputs) {
      if (!field.secret || (typeof input[field.name] === 'string' && (input[field.name] as string).trim())) continue;
      const value = (await this.context.getSecret?.(field.name))?.trim();
      if (value) {
        registerSecret(value);
        out[field.name] = value;
      } else if (field.required) {
        missing.push(field.label);
      }
    }
    if (missing.length) {
      throw new ProviderError('validation', `${NAME}: this workflow needs ${missing.join(', ')}, which is not stored: start the run again to enter ${missing.length > 1 ? 'them' : 'it'}.`);
    }
    return out;
  }

  /** get_workflow, cached per workflow; `fresh` re-reads it (starting a run should see the current schema). */
  private async workflow(id: string, fresh: boolean): Promise<WorkflowBody> {
    const cached = this.workflows.get(id);
    if (cached && !fresh) return cached;
    const data = parse(workflowSchema, await this.call('get_workflow', { workflow_id: id }), 'get_workflow');
    this.workflows.set(id, data);
    if (data.name) this.names.set(id, data.name);
    return data;
  }

  /** One tool call: the tool's JSON on success; a ProviderError from this bundle for every failure. */
  private async call(tool: string, args: Record<string, unknown>, idempotent = true): Promise<unknown> {
    let result: McpToolResult;
    try {
      result = await (await this.mcp()).callTool(tool, args, { idempotent });
    } catch (e) {
      throw fromSessionError(e, tool);
    }
    if (result.isError) throw toolError(result, tool);
    return result.data;
  }

  private mcp(): Promise<McpSession> {
    if (!this.session) {
      // require() on first use, not import(): Runwatch's bundle runs through vm.Script (src/codeCache.ts), which
      // has no dynamic import. esbuild.js maps this require to dist/mcp.js.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loading = Promise.resolve().then(() => require('./mcpSession.js') as typeof import('./mcpSession.js')).then(m =>
        m.createMcpSession({
          url: this.context.baseUrl,
          getKey: () => this.context.getKey(),
          log: this.context.log,
          timeoutMs: this.context.timeoutMs,
          serverName: NAME,
          // This bundle's registry: dist/mcp.js would otherwise redact with its own, nearly empty copy.
          redactor: secretRedactor,
          // This bundle's network settings, likewise: the same proxy and certificates as the REST providers.
          dispatcher: fetchDispatcher,
        }),
      );
      this.session = loading;
      loading.catch(() => {
        if (this.session === loading) this.session = undefined;
      });
    }
    return this.session;
  }
}

// ---- inputs ----

/** InputFields from a workflow's input_schema; one JSON input when it is absent or not an object schema. */
export function inputFields(inputSchema: unknown): InputField[] {
  const schema = asSchema(inputSchema);
  if (!schema || !isObjectSchema(schema)) {
    const field: InputField = {
      name: ADLYSE_JSON_INPUT,
      label: 'Input (JSON)',
      type: 'json',
      required: false,
      description: 'The workflow\'s input: a JSON object such as {"email": "lead@example.com"}, or text passed as is. Leave empty for {}.',
      placeholder: '{"field": "value"}',
    };
    if (schema) field.schema = schema;
    return [field];
  }
  const properties = asRecord(schema.properties) ?? {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
  return Object.entries(properties).map(([name, value]) => {
    const property = asSchema(value) ?? {};
    const type = primaryType(property.type);
    const itemSchema = asSchema(property.items);
    const field: InputField = { name, label: textOf(property.title) ?? humanize(name), type: fieldType(type, itemSchema), required: required.has(name) };
    // A list of objects or numbers is entered as JSON, and the box must then take a list, not an object.
    if (field.type === 'json' && type === 'array') field.jsonShape = 'array';
    if (field.type === 'json') field.schema = property;
    const description = textOf(property.description);
    if (description) field.description = description;
    const options = stringEnum(property.enum) ?? (field.type === 'string[]' ? stringEnum(itemSchema?.enum) : undefined);
    if (options) field.options = options;
    if (property.default !== undefined) field.default = property.default;
    const example = Array.isArray(property.examples) ? property.examples[0] : undefined;
    if (typeof example === 'string' || typeof example === 'number') field.placeholder = String(example);
    else if (property.format === 'email') field.placeholder = 'name@company.com';
    if (property.writeOnly === true || property.format === 'password') field.secret = true;
    return field;
  });
}

function fieldType(type: string | undefined, items: SchemaNode | undefined): InputField['type'] {
  switch (type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return primaryType(items?.type) === 'string' || (!items?.type && stringEnum(items?.enum)) ? 'string[]' : 'json';
    default:
      return 'json';
  }
}

/** input_data for run_workflow: the kind's fields as an object, or the single JSON input as given. */
export function buildInputData(kind: PipelineKind, input: Record<string, unknown>): unknown {
  const only = kind.inputs.length === 1 ? kind.inputs[0] : undefined;
  if (only?.name === ADLYSE_JSON_INPUT && only.type === 'json') {
    const value = input[ADLYSE_JSON_INPUT];
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return {};
    // run_workflow parses strings as JSON when it can and passes other text as raw input: send text as is.
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const field of kind.inputs) {
    let value = input[field.name];
    if (value === undefined || value === null || (value === '' && !field.required)) continue;
    if (field.type === 'number' && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) value = Number(value);
    if (field.type === 'boolean' && (value === 'true' || value === 'false')) value = value === 'true';
    if (field.type === 'string[]' && typeof value === 'string') value = value.split(',').map(s => s.trim()).filter(Boolean);
    if (field.type === 'json' && typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch (e) {
        throw new ProviderError('validation', `${field.label} is not valid JSON (${(e as Error).message}).`);
      }
    }
    out[field.name] = value;
  }
  return out;
}

// ---- output ----

export interface OutputRow {
  /** The output's property name, or '' for an output that is not an object. */
  key: string;
  label: string;
  /** The value as text for display: strings as is, lists joined, objects as JSON. */
  value: string;
  description?: string;
}

/**
 * Rows for Show Result: one per output property, labelled from the workflow's output_schema (title, else the
 * property name made readable), in the schema's order, then any properties the schema does not list.
 */
export function labelOutput(output: unknown, outputSchema: unknown): OutputRow[] {
  if (output === undefined) return [];
  const record = asRecord(output);
  if (!record) return [{ key: '', label: 'Output', value: display(output) }];
  const properties = asRecord(asSchema(outputSchema)?.properties) ?? {};
  const ordered = [...Object.keys(properties).filter(k => k in record), ...Object.keys(record).filter(k => !(k in properties))];
  return ordered.map(key => {
    const property = asSchema(properties[key]);
    const row: OutputRow = { key, label: textOf(property?.title) ?? humanize(key), value: display(record[key]) };
    const description = textOf(property?.description);
    if (description) row.description = description;
    return row;
  });
}

function display(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every(v => typeof v !== 'object' || v === null)) return value.map(v => String(v)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// ---- errors ----

/** Adlyse error_type strings → kinds, with a plain-words lead for the message. */
const ERROR_TYPES: Record<string, { kind: ProviderErrorKind; text: string; hint?: string }> = {
  auth_error: { kind: 'auth', text: 'Adlyse rejected the API key', hint: 'Set a new key with "Runwatch: Set API Key" (Adlyse Admin → API Keys).' },
  not_found: { kind: 'notFound', text: 'Adlyse could not find it (it does not exist or belongs to another organization)' },
  invalid_input: { kind: 'validation', text: 'Adlyse rejected the workflow input' },
  execution_error: { kind: 'server', text: 'Adlyse could not start the run right now; try again later', hint: 'Adlyse calls this a transient dispatch failure.' },
  rate_limited: { kind: 'rateLimited', text: 'Adlyse is rate limiting requests' },
  permission_denied: { kind: 'forbidden', text: 'Adlyse refused access' },
};

/** A tool result with isError: `{error_type, message}` (also nested under `error`), or plain text. */
function toolError(result: McpToolResult, tool: string): ProviderError {
  const { errorType, message } = readErrorBody(result.data, result.text);
  return errorFor(errorType, message, tool, result.data);
}

function readErrorBody(data: unknown, text?: string): { errorType?: string; message?: string } {
  const record = asRecord(data);
  const nested = asRecord(record?.error);
  const errorType = textOf(record?.error_type) ?? textOf(nested?.error_type) ?? textOf(nested?.type) ?? textOf(record?.type);
  const message = textOf(record?.message) ?? textOf(nested?.message) ?? textOf(record?.error) ?? textOf(record?.detail) ?? (record ? undefined : textOf(data) ?? text);
  return { errorType, message };
}

function errorFor(errorType: string | undefined, message: string | undefined, tool: string, body: unknown, fallback?: ProviderError): ProviderError {
  const known = errorType ? ERROR_TYPES[errorType] : undefined;
  const detail = message ? redact(message) : undefined;
  if (known) {
    return new ProviderError(known.kind, detail ? `${known.text}: ${detail}` : `${known.text}.`, { code: errorType, hint: known.hint, body });
  }
  if (fallback) return new ProviderError(fallback.kind, fallback.message, { status: fallback.status, code: fallback.code, hint: fallback.hint, body });
  const what = errorType ? ` (${errorType})` : '';
  return new ProviderError('server', `Adlyse reported an error in ${tool}${what}${detail ? `: ${detail}` : '.'}`, { code: errorType, body });
}

/**
 * Errors from the session bundle (isProviderError recognizes the packaged dist/mcp.js's own ProviderError by
 * shape). A JSON-RPC error whose data carries an error_type is mapped like an isError result.
 */
function fromSessionError(e: unknown, tool: string): ProviderError {
  if (!isProviderError(e)) {
    const message = e instanceof Error ? e.message : String(e);
    return new ProviderError('network', redact(`${NAME}: ${message}`));
  }
  const error = e;
  if (error.body !== undefined) {
    const { errorType, message } = readErrorBody(error.body);
    if (errorType) return errorFor(errorType, message, tool, error.body, error);
  }
  return error;
}

function runError(data: RunStatusBody): RunError {
  const raw = data.error;
  if (typeof raw === 'string' && raw.trim()) return { message: raw };
  if (raw && typeof raw === 'object') {
    const error: RunError = { message: raw.message?.trim() || 'The workflow run failed.' };
    if (raw.node) error.step = raw.node;
    return error;
  }
  return { message: 'The workflow run failed; Adlyse gave no reason.' };
}

// ---- helpers ----

function parse<T>(schema: z.ZodMiniType<T>, data: unknown, tool: string): T {
  const result = z.safeParse(schema, data);
  if (result.success) return result.data;
  const why = redact(z.prettifyError(result.error)).split('\n').slice(0, 4).join('; ');
  throw new ProviderError('badResponse', `Adlyse sent a ${tool} result in an unexpected shape: ${why}`);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function asSchema(value: unknown): SchemaNode | undefined {
  return asRecord(value) as SchemaNode | undefined;
}

function isObjectSchema(schema: SchemaNode): boolean {
  const type = primaryType(schema.type);
  return type === 'object' || (type === undefined && asRecord(schema.properties) !== undefined);
}

/** The schema's type, ignoring "null" in a type list (["string", "null"] → "string"). */
function primaryType(type: unknown): string | undefined {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((t): t is string => typeof t === 'string' && t !== 'null');
  return undefined;
}

function stringEnum(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.length && value.every(v => typeof v === 'string') ? (value as string[]) : undefined;
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value : undefined;
}

/** "competitor_domain" → "Competitor domain", "lookbackDays" → "Lookback days". */
function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : name;
}

/** The provider as Runwatch registers it: its facts and its adapter. */
export const adlyseDescriptor = {
  id: 'adlyse' as const,
  displayName: NAME,
  defaultBaseUrl: 'https://mcp.adlyse.com/mcp/workflows/',
  // A getter: the noun is translated when shown (the l10n bundle loads after this module).
  get accountNoun() {
    return l10n.t('workflow');
  },
  icon: 'symbol-event',
  keyPrefixes: ['mii_', 'mf_oauth_'],
  secretPatterns: [/\bmii_[A-Za-z0-9_-]{4,}/g, /\bmf_oauth_[A-Za-z0-9_-]{4,}/g],
  create: context => new AdlyseProvider(context),
} satisfies ProviderDescriptor;
