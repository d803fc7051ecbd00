// Lays out a trace as a waterfall: spans in tree order (parents before their
// children, siblings by start), each bar placed by start and duration.

import type { TraceSpan } from './api/types';

export interface Bar {
  span: TraceSpan;
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

export function layoutWaterfall(spans: TraceSpan[]): Waterfall {
  if (spans.length === 0) return { bars: [], totalUs: 0, services: [] };
  const start = Math.min(...spans.map((s) => s.start_us));
  const end = Math.max(...spans.map((s) => s.start_us + s.duration_us));
  const totalUs = Math.max(1, end - start);
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string | undefined, TraceSpan[]>();
  for (const span of spans) {
    // A parent outside the trace (or none: the root) puts the span at the top.
    const parent = span.parent_id && ids.has(span.parent_id) ? span.parent_id : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const bars: Bar[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    const list = [...(children.get(parent) ?? [])].sort((a, b) => a.start_us - b.start_us);
    for (const span of list) {
      bars.push({
        span,
        depth,
        left: ((span.start_us - start) / totalUs) * 100,
        width: Math.max(0.5, (span.duration_us / totalUs) * 100),
      });
      visit(span.span_id, depth + 1);
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
