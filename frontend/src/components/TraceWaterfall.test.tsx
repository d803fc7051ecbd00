import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { OrderTrace, TraceSpan } from '../api/types';
import { TraceWaterfall } from './TraceWaterfall';

const span = (span_id: string, parent_id: string | null, service: string, start_us: number, error = false): TraceSpan => ({
  span_id, parent_id, service, name: `${service}-op`, kind: 'server', start_us, duration_us: 100, error, attributes: {},
});

const trace: OrderTrace = {
  order_id: 'o-1',
  trace_id: 't-1',
  jaeger_url: null,
  spans: [span('a', null, 'gateway', 0), span('b', 'a', 'orders', 10), span('c', 'b', 'payments', 20, true)],
};

describe('TraceWaterfall', () => {
  it('shows each service once and a row per span, with the selectors the e2e test uses', () => {
    const html = renderToStaticMarkup(<TraceWaterfall trace={trace} />);
    expect(html.match(/data-testid="trace-service"/g)).toHaveLength(3);
    expect(html.match(/data-testid="trace-span"/g)).toHaveLength(3);
    for (const service of ['gateway', 'orders', 'payments']) expect(html).toContain(`data-service="${service}"`);
    expect(html).toContain('3 spans over 120 µs');
  });

  it('marks spans that recorded an error, in words and not only in color', () => {
    const html = renderToStaticMarkup(<TraceWaterfall trace={trace} />);
    const rows = html.match(/<li class="span-row[^"]*"[^>]*>/g) ?? [];
    expect(rows).toHaveLength(3);
    expect(rows.filter((row) => row.includes('span-error') && row.includes('data-error="true"'))).toHaveLength(1);
    expect(rows.filter((row) => row.includes('data-error="false"'))).toHaveLength(2);
    expect(html).toContain('data-service="payments" data-error="true"');
    expect(html).toContain('>error</span>');
    expect(html).toContain('1 with an error');
  });

  it('says nothing about errors when there are none', () => {
    const html = renderToStaticMarkup(
      <TraceWaterfall trace={{ ...trace, spans: trace.spans.map((s) => ({ ...s, error: false })) }} />,
    );
    expect(html).not.toContain('span-error');
    expect(html).not.toContain('with an error');
  });
});
