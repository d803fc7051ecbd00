import { describe, expect, it } from 'vitest';
import type { TraceSpan } from './api/types';
import { formatDuration, layoutWaterfall } from './traceLayout';

const span = (span_id: string, parent_id: string | null, service: string, start_us: number, duration_us: number): TraceSpan => ({
  span_id, parent_id, service, name: span_id, kind: 'internal', start_us, duration_us, error: false, attributes: {},
});

describe('layoutWaterfall', () => {
  it('puts children under their parent and places bars by start and duration', () => {
    const { bars, totalUs, services } = layoutWaterfall([
      span('c', 'a', 'payments', 1500, 500),
      span('a', null, 'gateway', 1000, 1000),
      span('b', 'a', 'orders', 1100, 200),
      span('orphan', 'missing', 'orders', 1900, 100),
    ]);
    expect(totalUs).toBe(1000);
    expect(services).toEqual(['gateway', 'orders', 'payments']);
    expect(bars.map((b) => [b.span.span_id, b.depth, b.left, b.width])).toEqual([
      ['a', 0, 0, 100],
      ['b', 1, 10, 20],
      ['c', 1, 50, 50],
      ['orphan', 0, 90, 10],
    ]);
  });

  it('lays out nothing for no spans', () => {
    expect(layoutWaterfall([]).bars).toEqual([]);
  });
});

describe('formatDuration', () => {
  it('picks µs, ms or s', () => {
    expect([950, 2400, 1_250_000].map(formatDuration)).toEqual(['950 µs', '2.4 ms', '1.25 s']);
  });
});
