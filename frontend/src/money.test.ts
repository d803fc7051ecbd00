import { describe, expect, it } from 'vitest';
import { formatMinor, parseAmount } from './money';

describe('parseAmount', () => {
  it.each([
    ['12.50', 1250],
    ['12.5', 1250],
    ['12,50', 1250],
    ['12', 1200],
    ['12.', 1200],
    ['0.01', 1],
    ['0.07', 7],
    ['0.29', 29], // 0.29 * 100 is 28.999999999999996 in floating point
    ['1.15', 115], // 1.15 * 100 is 114.99999999999999
    ['4.35', 435],
    [' 1 000.10 ', 100010],
    ['90071992547409.91', 9007199254740991],
  ])('reads %j as %d minor units', (input, minor) => {
    expect(parseAmount(input)).toEqual({ ok: true, minor });
  });

  it.each(['', '   ', '-1', '+1', '1e3', 'abc', '1.234', '.5', '1.2.3', '0', '0.00', 'NaN', 'Infinity'])(
    'rejects %j',
    (input) => {
      expect(parseAmount(input).ok).toBe(false);
    },
  );

  it('rejects amounts a JSON number cannot carry exactly', () => {
    expect(parseAmount('90071992547409.92')).toEqual({ ok: false, reason: 'the amount is too large' });
  });
});

describe('formatMinor', () => {
  it.each([
    [0, '0.00'],
    [1, '0.01'],
    [7, '0.07'],
    [1250, '12.50'],
    [100010, '1,000.10'],
    [-2500, '-25.00'],
    [9007199254740991, '90,071,992,547,409.91'],
    [12345678901234567890n, '123,456,789,012,345,678.90'],
  ])('shows %d as %j', (minor, text) => {
    expect(formatMinor(minor)).toBe(text);
  });

  it('refuses a fractional number of minor units', () => {
    expect(() => formatMinor(12.5)).toThrow(RangeError);
  });

  it('round-trips what it parses', () => {
    for (const text of ['0.01', '0.10', '9.99', '123.45', '1,000.00']) {
      const parsed = parseAmount(text.replace(/,/g, ''));
      expect(parsed.ok && formatMinor(parsed.minor)).toBe(text);
    }
  });
});
