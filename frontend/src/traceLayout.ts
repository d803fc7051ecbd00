// Lays out a trace as a waterfall: spans in tree order (parents before their
// children, siblings by start), each bar placed by start and duration.

import type { Span } from './api/trace';

export interface Bar {
  span: Span;
  depth: number;
  /** Percent of the trace's width. */
  left: number;
  width: number;
}

export interface Waterfall {
  bars: Bar[];
  totalUs: number;
  services: string[];
}

export function layoutWaterfall(spans: Span[]): Waterfall {
  if (spans.length === 0) return { bars: [], totalUs: 0, services: [] };
  const start = Math.min(...spans.map((s) => s.startUs));
  const end = Math.max(...spans.map((s) => s.startUs + s.durationUs));
  const totalUs = Math.max(1, end - start);
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, Span[]>();
  for (const span of spans) {
    const parent = span.parentId && ids.has(span.parentId) ? span.parentId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const bars: Bar[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    const list = [...(children.get(parent) ?? [])].sort((a, b) => a.startUs - b.startUs);
    for (const span of list) {
      bars.push({
        span,
        depth,
        left: ((span.startUs - start) / totalUs) * 100,
        width: Math.max(0.5, (span.durationUs / totalUs) * 100),
      });
      visit(span.spanId, depth + 1);
    }
  };
  visit(undefined, 0);
  const services = [...new Set(spans.map((s) => s.service))].sort();
  return { bars, totalUs, services };
}

const PALETTE = ['#2563eb', '#16a34a', '#db2777', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04'];

/** A stable color per service. */
export function serviceColor(service: string, services: string[]): string {
  const index = services.indexOf(service);
  return PALETTE[(index < 0 ? 0 : index) % PALETTE.length] ?? '#64748b';
}

export function formatDuration(us: number): string {
  if (us < 1000) return `${us} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}
