import { describe, expect, it } from 'vitest';
import type { Span } from './api/trace';
import { layoutWaterfall } from './traceLayout';

const span = (spanId: string, parentId: string | undefined, service: string, startUs: number, durationUs: number): Span => ({
  spanId, parentId, service, name: spanId, kind: undefined, startUs, durationUs, attributes: {},
});

describe('layoutWaterfall', () => {
  it('puts children under their parent and places bars by start and duration', () => {
    const { bars, totalUs, services } = layoutWaterfall([
      span('c', 'a', 'payments', 1500, 500),
      span('a', undefined, 'gateway', 1000, 1000),
      span('b', 'a', 'orders', 1100, 200),
      span('orphan', 'missing', 'orders', 1900, 100),
    ]);
    expect(totalUs).toBe(1000);
    expect(services).toEqual(['gateway', 'orders', 'payments']);
    expect(bars.map((b) => [b.span.spanId, b.depth, b.left, b.width])).toEqual([
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
