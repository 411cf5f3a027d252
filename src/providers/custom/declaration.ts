// A provider declared in settings (`runwatch.customProviders`): the shape of one declaration, checked with zod,
// and the checks zod alone cannot make (base URL rule, placeholders, unique ids). Every problem names the field
// it is in ("runwatch.customProviders[1].status.path: …"); a declaration with a problem is left out, the others
// are used. schemas/customProviders.schema.json is the same shape as JSON Schema (a unit test keeps them in step).
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { validateBaseUrl } from '../../core/http';
import type { ProviderId, RunStatus } from '../../core/run';

export const CUSTOM_PROVIDERS_SETTING = 'runwatch.customProviders';
/** A declared provider's id is its declaration's id under this prefix, so it never clashes with a built-in one. */
export const CUSTOM_ID_PREFIX = 'custom:';

/** RFC 6901: empty (the whole document) or `/`-separated tokens where `~` is only `~0` or `~1`. */
const POINTER = /^(\/([^~]|~[01])*)*$/;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const DECLARATION_ID = /^[a-z][a-z0-9-]{0,39}$/;
const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** A codicon id (`rocket`, `symbol-event`). */
const ICON = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** Headers Runwatch sets itself, or that would change where or how the request goes. */
const RESERVED_HEADERS = new Set(['host', 'content-type', 'content-length', 'accept', 'user-agent', 'connection', 'transfer-encoding', 'cookie']);

/** A check's message, translated when the check fails (the l10n bundle loads after this module). */
const says = (message: () => string) => ({ error: message });

const text = z.string().check(z.minLength(1, says(() => l10n.t('must not be empty'))));
const pointer = z.string().check(z.regex(POINTER, says(() => l10n.t('must be a JSON Pointer: empty, or "/" then names separated by "/" (with ~0 for ~ and ~1 for /)'))));
const pathTemplate = z.string().check(z.regex(/^\//, says(() => l10n.t('must start with "/" (it is appended to baseUrl)'))));
const seconds = z.number().check(z.gte(1, says(() => l10n.t('must be at least 1 (second)'))));

export const RUN_STATUS_TARGETS = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly RunStatus[];

// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
const inputFieldSchema = z.lazy(() => z.strictObject({
  name: z.string().check(z.regex(INPUT_NAME, says(() => l10n.t('must be a name of letters, digits, "_", "-" or "." (it is used as ${input.<name>})')))),
  label: z.optional(text),
  type: z.enum(['string', 'string[]', 'number', 'boolean', 'json']),
  required: z.optional(z.boolean()),
  secret: z.optional(z.boolean()),
  description: z.optional(z.string()),
  placeholder: z.optional(z.string()),
  default: z.optional(z.unknown()),
  options: z.optional(z.array(z.string())),
  jsonShape: z.optional(z.enum(['object', 'array'])),
}));

export const declarationSchema = z.lazy(() => z.strictObject({
  id: z.string().check(z.regex(DECLARATION_ID, says(() => l10n.t('must be lower-case letters, digits and "-", starting with a letter, at most 40 characters')))),
  displayName: text,
  baseUrl: text,
  auth: z.optional(
    z.strictObject({
      header: z.string().check(z.regex(HEADER_NAME, says(() => l10n.t('must be an HTTP header name such as Authorization or X-API-Key')))),
      scheme: z.optional(z.string().check(z.regex(/^[A-Za-z0-9._~+/-]*$/, says(() => l10n.t('must be one word such as Bearer, or empty for the bare key'))))),
    }),
  ),
  accountNoun: z.optional(text),
  icon: z.optional(z.string().check(z.regex(ICON, says(() => l10n.t('must be a codicon id such as rocket or symbol-event'))))),
  start: z.strictObject({
    method: z.optional(z.enum(['POST', 'PUT', 'PATCH'])),
    path: pathTemplate,
    body: z.optional(z.unknown()),
    label: z.optional(text),
  }),
  status: z.strictObject({ path: pathTemplate }),
  list: z.optional(z.strictObject({ path: pathTemplate, items: pointer })),
  cancel: z.optional(z.strictObject({ method: z.optional(z.enum(['POST', 'DELETE', 'PUT', 'PATCH'])), path: pathTemplate })),
  fields: z.strictObject({
    id: pointer,
    status: pointer,
    progress: z.optional(z.strictObject({ current: z.optional(pointer), total: z.optional(pointer), percent: z.optional(pointer), stage: z.optional(pointer) })),
    error: z.optional(pointer),
    errorStep: z.optional(pointer),
    result: z.optional(pointer),
    startedAt: z.optional(pointer),
    finishedAt: z.optional(pointer),
  }),
  statusMap: z.optional(z.record(z.string(), z.enum(RUN_STATUS_TARGETS))),
  cadence: z.optional(
    z.strictObject({
      intervalSeconds: seconds,
      steadyPolls: z.optional(z.int().check(z.gte(0, says(() => l10n.t('must be 0 or more'))))),
      backoffFactor: z.optional(z.number().check(z.gte(1, says(() => l10n.t('must be at least 1'))))),
      maxIntervalSeconds: z.optional(seconds),
    }),
  ),
  budget: z.optional(z.strictObject({ requests: z.int().check(z.gte(1, says(() => l10n.t('must be at least 1')))), perSeconds: seconds })),
  inputs: z.optional(z.array(inputFieldSchema)),
}));

export type CustomDeclarationInput = z.infer<typeof declarationSchema>;

/** A checked declaration: its provider id (`custom:<id>`) and its base URL in the form the adapters take. */
export interface CustomDeclaration extends CustomDeclarationInput {
  providerId: ProviderId;
  baseUrl: string;
}

export interface CustomDeclarations {
  declarations: CustomDeclaration[];
  /** One sentence per declaration left out, naming the field: `runwatch.customProviders[1].status.path: …`. */
  problems: string[];
}

/** Which placeholders each template may use: `${input.<name>}` only where a start is built. */
const TEMPLATE_VARIABLES = {
  start: ['accountId', 'input'],
  status: ['accountId', 'runId'],
  cancel: ['accountId', 'runId'],
  list: ['accountId'],
} as const;

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** Reads the setting's value: every valid declaration, and one problem for each one that is not. */
export function parseCustomProviders(value: unknown): CustomDeclarations {
  const out: CustomDeclarations = { declarations: [], problems: [] };
  if (value === undefined || value === null) return out;
  if (!Array.isArray(value)) {
    out.problems.push(`${CUSTOM_PROVIDERS_SETTING}: ${l10n.t('must be a list of provider declarations, not {0}.', describe(value))}`);
    return out;
  }
  const seen = new Set<string>();
  value.forEach((raw, index) => {
    const where = `${CUSTOM_PROVIDERS_SETTING}[${index}]`;
    const parsed = z.safeParse(declarationSchema, raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      out.problems.push(`${where}${pathText(issue.path)}: ${issueText(issue, raw)}`);
      return;
    }
    const url = validateBaseUrl(parsed.data.baseUrl);
    if (!url.ok) {
      out.problems.push(`${where}.baseUrl: ${url.reason}.`);
      return;
    }
    const problem = semanticProblem(parsed.data);
    if (problem) {
      out.problems.push(`${where}.${problem.field}: ${problem.message}`);
      return;
    }
    if (seen.has(parsed.data.id)) {
      out.problems.push(`${where}.id: ${l10n.t('"{0}" is declared twice; only the first declaration is used.', parsed.data.id)}`);
      return;
    }
    seen.add(parsed.data.id);
    out.declarations.push({ ...parsed.data, providerId: `${CUSTOM_ID_PREFIX}${parsed.data.id}`, baseUrl: url.url });
  });
  return out;
}

function semanticProblem(d: CustomDeclarationInput): { field: string; message: string } | undefined {
  if (d.auth && RESERVED_HEADERS.has(d.auth.header.toLowerCase())) return { field: 'auth.header', message: l10n.t('"{0}" is set by Runwatch itself; use the header your API reads the key from.', d.auth.header) };
  const inputs = new Set<string>();
  for (const [i, field] of (d.inputs ?? []).entries()) {
    if (inputs.has(field.name)) return { field: `inputs[${i}].name`, message: l10n.t('"{0}" is declared twice.', field.name) };
    inputs.add(field.name);
  }
  const templates: [string, unknown, readonly string[]][] = [
    ['start.path', d.start.path, TEMPLATE_VARIABLES.start],
    ['start.body', d.start.body, TEMPLATE_VARIABLES.start],
    ['status.path', d.status.path, TEMPLATE_VARIABLES.status],
  ];
  if (d.cancel) templates.push(['cancel.path', d.cancel.path, TEMPLATE_VARIABLES.cancel]);
  if (d.list) templates.push(['list.path', d.list.path, TEMPLATE_VARIABLES.list]);
  for (const [field, template, allowed] of templates) {
    for (const name of placeholders(template)) {
      const [head, ...rest] = name.split('.');
      const known = allowed.includes(head) && (head === 'input' ? rest.length > 0 && inputs.has(rest.join('.')) : rest.length === 0);
      if (known) continue;
      const placeholder = `\${${name}}`;
      const message =
        head === 'input' && allowed.includes('input')
          ? l10n.t('{0} is not known: declare an input named "{1}" under inputs.', placeholder, rest.join('.'))
          : l10n.t('{0} is not known: here only {1} can be used.', placeholder, allowed.map(a => (a === 'input' ? '${input.<name>}' : `\${${a}}`)).join(', '));
      return { field, message };
    }
  }
  const needsRunId = () => l10n.t("must contain ${runId}, where the run's id goes.");
  if (!d.status.path.includes('${runId}')) return { field: 'status.path', message: needsRunId() };
  if (d.cancel && !d.cancel.path.includes('${runId}')) return { field: 'cancel.path', message: needsRunId() };
  return undefined;
}

/** Every `${…}` name in a template: a path, or every string inside a JSON body. */
export function placeholders(template: unknown): string[] {
  if (typeof template === 'string') return [...template.matchAll(PLACEHOLDER)].map(m => m[1]);
  if (Array.isArray(template)) return template.flatMap(placeholders);
  if (template && typeof template === 'object') return Object.entries(template).flatMap(([k, v]) => [...placeholders(k), ...placeholders(v)]);
  return [];
}

/** What the declaration's accounts are called: as declared, else `account` where paths name one, `pipeline` where not. */
export function customAccountNoun(d: CustomDeclarationInput): string {
  return d.accountNoun ?? (usesAccounts(d) ? l10n.t('account') : l10n.t('pipeline'));
}

/** Whether a declaration's runs live under accounts the user adds by id (a template uses `${accountId}`). */
export function usesAccounts(d: CustomDeclarationInput): boolean {
  return [d.start.path, d.start.body, d.status.path, d.list?.path, d.cancel?.path].some(t => placeholders(t).includes('accountId'));
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map(p => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

interface Issue {
  code: string;
  message: string;
  path: PropertyKey[];
  expected?: string;
  values?: unknown[];
  keys?: string[];
}

/** zod's issue as a sentence; zod/mini carries no English messages of its own. */
function issueText(issue: z.core.$ZodIssue, root: unknown): string {
  const i = issue as unknown as Issue;
  switch (i.code) {
    case 'invalid_type': {
      const got = valueAt(root, i.path);
      return got === undefined ? l10n.t('is required ({0}).', expectedText(i.expected)) : l10n.t('must be {0}, not {1}.', expectedText(i.expected), describe(got));
    }
    case 'invalid_value':
      return l10n.t('must be one of {0}, not {1}.', (i.values ?? []).map(v => JSON.stringify(v)).join(', '), JSON.stringify(valueAt(root, i.path)));
    case 'unrecognized_keys': {
      const keys = (i.keys ?? []).map(k => `"${k}"`).join(', ');
      return (i.keys?.length ?? 0) > 1 ? l10n.t('has no fields {0} (a typo?).', keys) : l10n.t('has no field {0} (a typo?).', keys);
    }
    default:
      return i.message && i.message !== 'Invalid input' ? `${i.message}.` : l10n.t('is not valid here.');
  }
}

function expectedText(expected: string | undefined): string {
  switch (expected) {
    case 'object':
      return l10n.t('an object');
    case 'array':
      return l10n.t('a list');
    case 'string':
      return l10n.t('text');
    case 'number':
    case 'int':
      return l10n.t('a number');
    case 'boolean':
      return l10n.t('true or false');
    default:
      return expected ?? l10n.t('something else');
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const p of path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[p] : undefined;
  return value;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return l10n.t('a list');
  if (typeof value === 'object') return l10n.t('an object');
  if (typeof value === 'string') return l10n.t('the text {0}', JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value));
  return typeof value === 'number' ? l10n.t('the number {0}', value) : String(value);
}
