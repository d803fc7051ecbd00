// Amounts: the API speaks integer minor units (1250), people read and type
// major units (12.50). Conversions are exact: string parsing and BigInt, never
// floating point.

/** Digits after the decimal point (cents). */
export const MINOR_DIGITS = 2;
const SCALE = 10n ** BigInt(MINOR_DIGITS);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export type ParsedAmount =
  | { ok: true; minor: number }
  | { ok: false; reason: string };

const AMOUNT = /^(\d+)(?:[.,](\d*))?$/;

/**
 * Parses what a person typed ("12.5", "12,50", "0.07", "3") into minor
 * units. Rejects signs, exponents, more than two decimals, zero, and
 * amounts past what a JSON number carries exactly.
 */
export function parseAmount(input: string): ParsedAmount {
  const text = input.trim().replace(/[\s_']/g, '');
  if (text === '') return { ok: false, reason: 'enter an amount' };
  const match = AMOUNT.exec(text);
  if (!match) return { ok: false, reason: 'use digits and at most one decimal point, like 12.50' };
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > MINOR_DIGITS) {
    return { ok: false, reason: `at most ${MINOR_DIGITS} digits after the decimal point` };
  }
  const minor = BigInt(whole) * SCALE + BigInt(fraction.padEnd(MINOR_DIGITS, '0') || '0');
  if (minor <= 0n) return { ok: false, reason: 'the amount must be greater than zero' };
  if (minor > MAX_SAFE) return { ok: false, reason: 'the amount is too large' };
  return { ok: true, minor: Number(minor) };
}

/** Formats minor units as major units with two decimals: 1250 → "12.50". */
export function formatMinor(minor: number | bigint): string {
  const value = typeof minor === 'bigint' ? minor : toBigInt(minor);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / SCALE;
  const fraction = (abs % SCALE).toString().padStart(MINOR_DIGITS, '0');
  const grouped = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}.${fraction}`;
}

function toBigInt(minor: number): bigint {
  if (!Number.isSafeInteger(minor)) {
    throw new RangeError(`${minor} is not a whole number of minor units`);
  }
  return BigInt(minor);
}
