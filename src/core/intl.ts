// Numbers, counts, currencies and relative times that read as prose, through the platform's Intl instead of
// hand-written rules. Pure: the VS Code layer sets the display language once (setDisplayLocale); tests and
// the benchmark get English.

let locale = 'en';
// Built on first use: the first Intl formatter loads locale data (~10 ms), which activation need not wait for.
let pluralRules: Intl.PluralRules | undefined;
let relativeFormat: Intl.RelativeTimeFormat | undefined;
const plurals = () => (pluralRules ??= new Intl.PluralRules(locale));
const relative = () => (relativeFormat ??= new Intl.RelativeTimeFormat(locale, { numeric: 'always' }));
const money = new Map<string, Intl.NumberFormat>();
const units = new Map<string, Intl.NumberFormat>();

/** The language texts are formatted in (VS Code's display language); an unknown tag keeps the current one. */
export function setDisplayLocale(tag: string | undefined): void {
  if (!tag) return;
  try {
    // The same locale (English, most often) keeps its formatters; checking a tag needs no locale data.
    if (tag === locale) return;
    const [supported] = Intl.PluralRules.supportedLocalesOf([tag]);
    if (!supported || supported === locale) return;
    locale = supported;
    pluralRules = undefined;
    relativeFormat = undefined;
    money.clear();
    units.clear();
  } catch {
    // A malformed tag: keep what there is.
  }
}

export function displayLocale(): string {
  return locale;
}

/** The English forms of a counted noun; Intl.PluralRules picks one. */
export interface Noun {
  one: string;
  other: string;
}

/** `1 run`, `2 runs`, `1,204 documents`. */
export function count(n: number, noun: Noun): string {
  const form = plurals().select(n) === 'one' ? noun.one : noun.other;
  return `${n.toLocaleString(locale, { maximumFractionDigits: 4 })} ${form}`;
}

/** How long ago, as prose: `12 seconds ago`, `3 minutes ago`, `2 hours ago`, `3 days ago`. */
export function timeAgo(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return relative().format(-seconds, 'second');
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return relative().format(-minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 48) return relative().format(-hours, 'hour');
  return relative().format(-Math.round(hours / 24), 'day');
}

/** An amount in a currency (`$0.42`, `€1.20`), or undefined when the code is not an ISO 4217 one. */
export function currencyAmount(amount: number, currency: string): string | undefined {
  const code = currency.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) return undefined;
  let format = money.get(code);
  if (!format) {
    try {
      format = new Intl.NumberFormat(locale, { style: 'currency', currency: code, minimumFractionDigits: 2, maximumFractionDigits: 4 });
    } catch {
      return undefined;
    }
    money.set(code, format);
  }
  return format.format(amount);
}

/** A clock time for "as of …" lines: `14:03:11` (the display language's own form). */
export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(locale);
}

/** A count of a time unit in its narrow form: `45s`, `3m`, `1h`, `2d` in English, `45 Sek.` in German. */
export function unitAmount(n: number, unit: 'second' | 'minute' | 'hour' | 'day'): string {
  let format = units.get(unit);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'narrow', useGrouping: false });
    units.set(unit, format);
  }
  return format.format(n);
}
