// The inputs of Start Run, one step each: what a field's box checks, how its text becomes the value sent, and
// the step that asks it (a box, a pick for options and yes/no, a password box for a secret, and for JSON an
// untitled JSON editor checked against the provider's schema when the user comes back).
import * as vscode from 'vscode';
import { checkAgainstSchema } from '../../core/jsonSchemaCheck';
import type { InputField, PipelineKind } from '../../core/ports';
import type { MultiStepInput, Validation } from '../multiStepInput';

export function parseJsonObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  if (!text.trim()) return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: vscode.l10n.t('Not valid JSON: {0}', e instanceof Error ? e.message : String(e)) };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: vscode.l10n.t('Enter a JSON object, e.g. {0}', '{"topic": "pricing"}') };
  return { ok: true, value: value as Record<string, unknown> };
}

export function parseJsonArray(text: string): { ok: true; value: unknown[] } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: vscode.l10n.t('Not valid JSON: {0}', e instanceof Error ? e.message : String(e)) };
  }
  if (!Array.isArray(value)) return { ok: false, reason: vscode.l10n.t('Enter a JSON list, e.g. {0}', '[{"start": 11, "end": 50}]') };
  return { ok: true, value };
}

/** A `json` field's text as the value it declares: an object, or an array where the field says so. */
function parseJsonField(field: InputField, text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  return field.jsonShape === 'array' ? parseJsonArray(text) : parseJsonObject(text);
}

/** What is wrong with this text for the field (required, a number, JSON of the right shape and schema), or nothing. */
export function validateField(field: InputField, raw: string): string | undefined {
  const v = raw.trim();
  if (!v) return field.required ? vscode.l10n.t('{0} is required', field.label) : undefined;
  if (field.type === 'number' && !Number.isFinite(Number(v))) return vscode.l10n.t('{0} must be a number', field.label);
  if (field.options?.length && field.type === 'string' && !field.options.includes(v)) return vscode.l10n.t('{0} must be one of {1}', field.label, field.options.join(', '));
  if (field.type === 'json') {
    const parsed = parseJsonField(field, v);
    if (!parsed.ok) return parsed.reason;
    if (field.schema !== undefined) return checkAgainstSchema(parsed.value, field.schema, field.label);
  }
  return undefined;
}

export function convertField(field: InputField, raw: string): unknown {
  const v = raw.trim();
  if (!v) return undefined;
  switch (field.type) {
    case 'number':
      return Number(v);
    case 'string[]':
      return v
        .split(',')
        .map(s => s.trim())
        .filter(Boolean);
    case 'json': {
      const parsed = parseJsonField(field, v);
      return parsed.ok ? parsed.value : undefined;
    }
    case 'boolean':
      return /^(true|yes|y|1)$/i.test(v) || v.toLowerCase() === YES().toLowerCase();
    default:
      return v;
  }
}

/** A value (a default, a preset) as the text its box shows. */
export function fieldText(field: InputField, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (field.type === 'boolean' && typeof value === 'boolean') return value ? YES() : NO();
  if (Array.isArray(value) && field.type === 'string[]') return value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function fieldTitle(kind: PipelineKind, field: InputField): string {
  return field.required ? `${kind.label}: ${field.label}` : vscode.l10n.t('{0}: {1} (optional)', kind.label, field.label);
}

// Functions, not constants: the translation is read when they are shown (the bundle may load after this module).
const YES = () => vscode.l10n.t('Yes');
const NO = () => vscode.l10n.t('No');
const LEAVE_EMPTY = () => vscode.l10n.t('(leave empty)');
const USE_EDITOR_JSON = () => `$(check) ${vscode.l10n.t('Use the JSON from the editor')}`;
const TYPE_INSTEAD = () => `$(edit) ${vscode.l10n.t('Type it in the box instead')}`;

const EDIT_IN_JSON_EDITOR = (): vscode.QuickInputButton => ({ iconPath: new vscode.ThemeIcon('json'), tooltip: vscode.l10n.t('Edit in a JSON editor…') });

export interface FieldStepOptions {
  kind: PipelineKind;
  field: InputField;
  /** The text the step opens with: what was typed before, a preset, or the field's default. */
  text: string | undefined;
  remaining: number;
  /** Where the step leaves what the user typed (also on Back). */
  keep: (text: string) => void;
}

/**
 * Asks one field. Resolves with its text ('' = left empty); the caller converts it. A secret is asked in a
 * password box and its text is never kept anywhere but the flow and SecretStorage.
 */
export async function askFieldText(input: MultiStepInput, options: FieldStepOptions): Promise<string> {
  const { kind, field } = options;
  const title = fieldTitle(kind, field);
  if (field.options?.length || field.type === 'boolean') {
    const labels = field.options?.length ? [...field.options] : field.default === false ? [NO(), YES()] : [YES(), NO()];
    if (!field.required) labels.push(LEAVE_EMPTY());
    const items: vscode.QuickPickItem[] = labels.map(label => ({ label, description: fieldText(field, field.default) === label ? vscode.l10n.t('default') : undefined }));
    const current = options.text ?? fieldText(field, field.default);
    const picked = await input.pick({
      title,
      remaining: options.remaining,
      placeholder: field.description,
      items,
      active: list => list.find(i => i.label === current),
    });
    const text = picked.label === LEAVE_EMPTY() ? '' : picked.label;
    options.keep(text);
    return text;
  }
  const validate = (v: string): Validation => validateField(field, v);
  let text = options.text ?? (field.secret ? undefined : fieldText(field, field.default)) ?? '';
  for (;;) {
    const answer = await input.input({
      title,
      remaining: options.remaining,
      value: text,
      prompt: field.secret ? vscode.l10n.t('{0} — stored in the OS keychain and reused', field.description ?? field.label) : (field.description ?? field.label),
      placeholder: field.placeholder ?? (field.type === 'string[]' ? vscode.l10n.t('comma-separated') : field.type === 'json' ? (field.jsonShape === 'array' ? '[{"key": "value"}]' : '{"key": "value"}') : undefined),
      password: field.secret,
      validate,
      buttons: field.type === 'json' ? [EDIT_IN_JSON_EDITOR()] : undefined,
      onBack: options.keep,
    });
    text = answer.value;
    if (!('button' in answer)) break;
    const fromEditor = await editJson(input, options, text);
    if (fromEditor !== undefined) {
      text = fromEditor;
      break;
    }
  }
  options.keep(text);
  return text;
}

/**
 * "Edit in a JSON editor…": the field's JSON in an untitled JSON document (a skeleton from the schema when
 * empty); the quick input stays open beside it and says, as the user edits, whether the JSON will do. Resolves
 * with the JSON (compacted) once the user takes it, or undefined to go back to the box.
 */
async function editJson(input: MultiStepInput, options: FieldStepOptions, current: string): Promise<string | undefined> {
  const { field } = options;
  const document = await vscode.workspace.openTextDocument({ language: 'json', content: startingJson(field, current) });
  await vscode.window.showTextDocument(document, { preview: false });
  const verdict = (): string | undefined => validateField(field, document.getText());
  const items = (): vscode.QuickPickItem[] => {
    const problem = verdict();
    return [
      { label: USE_EDITOR_JSON(), detail: problem ? `$(error) ${problem}` : `$(pass) ${field.schema !== undefined ? vscode.l10n.t('Matches the input schema') : vscode.l10n.t('Valid JSON')}` },
      { label: TYPE_INSTEAD() },
    ];
  };
  const picked = await input.pick({
    title: vscode.l10n.t('{0} — in the JSON editor', fieldTitle(options.kind, field)),
    remaining: options.remaining,
    placeholder: vscode.l10n.t('Edit the JSON in the editor, then come back here'),
    items: items(),
    validateAccept: item => (item.label === USE_EDITOR_JSON() ? verdict() : undefined),
    live: pick =>
      vscode.workspace.onDidChangeTextDocument(e => {
        if (e.document === document) pick.items = items();
      }),
  });
  if (picked.label !== USE_EDITOR_JSON()) return undefined;
  const text = document.getText().trim();
  // Taken: the scratch document has done its job, and closes without asking to be saved.
  if (vscode.window.activeTextEditor?.document === document) await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  return text ? JSON.stringify(JSON.parse(text)) : '';
}

function startingJson(field: InputField, current: string): string {
  const text = current.trim();
  if (text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }
  return JSON.stringify(skeleton(field.schema) ?? (field.jsonShape === 'array' ? [] : {}), null, 2);
}

/** The required properties of an object schema, each with an empty value of its type: somewhere to start typing. */
function skeleton(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object') return undefined;
  const s = schema as Record<string, unknown>;
  if (s.type === 'array') return [];
  const properties = s.properties && typeof s.properties === 'object' ? (s.properties as Record<string, Record<string, unknown>>) : undefined;
  if (!properties) return undefined;
  const required = Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === 'string') : [];
  const out: Record<string, unknown> = {};
  for (const name of required) {
    const type = properties[name]?.type;
    out[name] = type === 'number' || type === 'integer' ? 0 : type === 'boolean' ? false : type === 'array' ? [] : type === 'object' ? {} : '';
  }
  return out;
}
