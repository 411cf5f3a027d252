// The two small languages a declaration speaks: JSON Pointers (RFC 6901) into an answer, and templates
// (`${runId}`, `${accountId}`, `${input.<name>}`) for paths and the start's body.
import * as l10n from '@vscode/l10n';
import { ProviderError } from '../../core/errors';

/** The value at `pointer` in `doc`, or undefined where the pointer leads nowhere. */
export function resolvePointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let value = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      value = value[Number(token)];
    } else if (value && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, token)) {
      value = (value as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return value;
}

export interface TemplateValues {
  accountId?: string;
  runId?: string;
  input?: Record<string, unknown>;
}

const PLACEHOLDER = /\$\{([^}]*)\}/g;
const WHOLE_PLACEHOLDER = /^\$\{([^}]*)\}$/;

function lookup(name: string, values: TemplateValues): unknown {
  if (name === 'accountId') return values.accountId;
  if (name === 'runId') return values.runId;
  if (name.startsWith('input.')) return values.input?.[name.slice('input.'.length)];
  return undefined;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A path template with every placeholder filled and URL-encoded; a placeholder without a value is refused. */
export function fillPath(template: string, values: TemplateValues, where: string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = lookup(name, values);
    if (value === undefined || value === null || value === '') {
      throw new ProviderError('validation', `${where}: ${l10n.t('{0} has no value, so the request cannot be sent.', `\${${name}}`)}`);
    }
    return encodeURIComponent(asText(value));
  });
}

/**
 * A body template filled in: a string that is one placeholder becomes the value itself (a number stays a number,
 * a list a list) and is left out when there is none; placeholders inside longer text become text.
 */
export function fillBody(template: unknown, values: TemplateValues): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(template);
    if (whole) return lookup(whole[1], values);
    return template.replace(PLACEHOLDER, (_, name: string) => {
      const value = lookup(name, values);
      return value === undefined || value === null ? '' : asText(value);
    });
  }
  if (Array.isArray(template)) return template.map(item => fillBody(item, values)).filter(item => item !== undefined);
  if (template && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(template)) {
      const filled = fillBody(value, values);
      if (filled !== undefined) out[key] = filled;
    }
    return out;
  }
  return template;
}
