// Boring Marketing's error bodies (FastAPI detail, the actions[] envelope) turned into a message and a next step.
import { redact } from '../../core/errors';
import type { ErrorDetail } from '../../core/http';

// ---- error bodies --------------------------------------------------------------------------------

/**
 * FastAPI `{detail}` (a string, or a validation list), plus the documented but unspecified `actions[]`
 * recovery envelope, turned into a message and a next step.
 */
export function describeBoringMarketingError(status: number, body: unknown): ErrorDetail | undefined {
  const b = isRecord(body) ? body : {};
  const detailValue = isRecord(b.detail) ? b.detail : undefined;
  const errorValue = isRecord(b.error) ? b.error : undefined;
  let message = detailText(b.detail) ?? str(b.message) ?? str(b.error) ?? detailText(errorValue) ?? (typeof body === 'string' ? str(body) : undefined);
  let code = str(b.code) ?? str(detailValue?.code) ?? str(errorValue?.code);
  let hint: string | undefined;

  if (status === 402 || message === 'credits_exhausted' || code === 'credits_exhausted') {
    if (!message || /^credits_exhausted$/i.test(message)) {
      message = 'the daily API call budget for your tier is used up (credits_exhausted).';
      code ??= 'credits_exhausted';
    }
    hint = 'The daily budget resets at midnight UTC; Runwatch polls again then. A higher tier has a larger budget.';
  } else if (status === 401) {
    hint = 'Check the key (Boring Marketing dashboard → Settings → API Access), then run "Runwatch: Set API Key".';
  } else if (status === 403) {
    if (message && /tier allows/i.test(message)) {
      message = `${message.replace(/\s*$/, '')} Your tier's brand limit is reached.`;
      hint = 'Use one of your existing brands, or upgrade your tier for more brands.';
    } else {
      message = `${message ? `${message.replace(/[.\s]*$/, '')}: ` : ''}the brand is not yours or your tier's brand limit is reached.`;
      hint = "Check that the brand belongs to this key's account.";
    }
  } else if (status === 400 && message && /not queued or running/i.test(message)) {
    message = `the run has already finished, so there is nothing to cancel (${message}).`;
  } else if (status === 409) {
    hint = 'A run is already going on this brand; wait for it to finish.';
  } else if (status === 422 && message) {
    message = `the request was rejected: ${message}`;
  }

  const actions = actionsText(b.actions ?? detailValue?.actions ?? errorValue?.actions);
  if (actions) hint = hint ? `${hint} Suggested: ${actions}` : `Suggested: ${actions}`;

  if (!message && !hint && !code) return undefined;
  return { message: message && redact(message), code, hint: hint && redact(hint) };
}

function detailText(detail: unknown): string | undefined {
  if (typeof detail === 'string') return str(detail);
  if (Array.isArray(detail)) {
    const parts = detail
      .map(d => {
        if (typeof d === 'string') return str(d);
        if (!isRecord(d)) return undefined;
        const msg = str(d.msg) ?? str(d.message);
        if (!msg) return undefined;
        const loc = Array.isArray(d.loc) ? d.loc.filter(x => x !== 'body' && x !== 'query' && x !== 'path').join('.') : '';
        return loc ? `${loc}: ${msg}` : msg;
      })
      .filter((x): x is string => !!x);
    return parts.length ? parts.join('; ') : undefined;
  }
  if (isRecord(detail)) return str(detail.message) ?? str(detail.msg) ?? str(detail.detail) ?? str(detail.error);
  return undefined;
}

/** The `actions[]` shape is undocumented: accept strings, or objects with any descriptive field. */
function actionsText(actions: unknown): string | undefined {
  if (!Array.isArray(actions)) return undefined;
  const parts = actions
    .map(a => {
      if (typeof a === 'string') return str(a);
      if (!isRecord(a)) return undefined;
      const text = str(a.description) ?? str(a.message) ?? str(a.label) ?? str(a.title) ?? str(a.action) ?? str(a.type) ?? str(a.step);
      const target = [str(a.method), str(a.endpoint) ?? str(a.path) ?? str(a.url) ?? str(a.href)].filter(Boolean).join(' ');
      if (text && target) return `${text} (${target})`;
      return text ?? (target || JSON.stringify(a).slice(0, 200));
    })
    .filter((x): x is string => !!x);
  return parts.length ? parts.join('; ') : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}
