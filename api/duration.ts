// Durations in the Vault style: "90s", "15m", "24h", "30d", "1h30m"; "0" means none.
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION_RE = /^(?:\d+[smhd])+$/;

/** The longest duration any field takes: 100 years (of 365.25 days), so every expiry stays a valid date. */
export const MAX_DURATION_SECONDS = 100 * 365.25 * 86400;

/** Seconds in a duration string, or undefined when it is not one. "0" is 0. */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (!DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhd])/g)) total += Number(n) * UNIT_SECONDS[unit];
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Canonical short form of a number of seconds, e.g. 5400 -> "1h30m". */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0";
  let rest = seconds;
  let out = "";
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
