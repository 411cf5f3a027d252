// The range of every numeric `runwatch.*` setting: the manifest declares the same bounds (checked by the
// manifest test), and Settings clamps to them, since a hand-edited settings.json is not held to the manifest.
// A request timeout of 3e9 s, for one, overflows setTimeout and makes every request time out at once.

export interface SettingRange {
  minimum: number;
  maximum: number;
  integer?: boolean;
}

export const SETTING_RANGES: Readonly<Record<string, SettingRange>> = {
  'polling.unfocusedFactor': { minimum: 1, maximum: 60 },
  'polling.minIntervalSeconds.boringMarketing': { minimum: 0, maximum: 3600 },
  'polling.minIntervalSeconds.gloriaMundo': { minimum: 0, maximum: 3600 },
  'polling.minIntervalSeconds.automindz': { minimum: 0, maximum: 3600 },
  'polling.minIntervalSeconds.talonic': { minimum: 0, maximum: 3600 },
  'polling.minIntervalSeconds.adlyse': { minimum: 0, maximum: 3600 },
  'polling.maxConcurrentPerProvider': { minimum: 1, maximum: 16, integer: true },
  'stuckThresholdMinutes': { minimum: 1, maximum: 1440 },
  'staleAfterFailures': { minimum: 1, maximum: 100, integer: true },
  'requestTimeoutSeconds': { minimum: 1, maximum: 300 },
};

/** A setting's value inside its range; the fallback when it is not a finite number at all. */
export function clampSetting(key: string, value: unknown, fallback: number): number {
  const range = SETTING_RANGES[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  if (!range) return value;
  const clamped = Math.min(range.maximum, Math.max(range.minimum, value));
  return range.integer ? Math.floor(clamped) : clamped;
}
