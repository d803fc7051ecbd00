import { describeError } from '../api/problem';
import { isTracingDisabled } from '../api/trace';
import { useTrace } from '../hooks/useTrace';
import { ProblemMessage } from './ProblemMessage';
import { TraceWaterfall } from './TraceWaterfall';

/** The order's trace across the services, fetched through the gateway. */
export function TraceView({ orderId, settled }: { orderId: string; settled: boolean }) {
  const trace = useTrace(orderId, true);
  return (
    <section aria-labelledby="trace-title" className="card">
      <div className="section-head">
        <h2 id="trace-title">Trace</h2>
        <button type="button" onClick={() => void trace.refetch()} disabled={trace.isFetching}>
          {trace.isFetching ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      {trace.isPending && <p className="loading">Loading the trace…</p>}
      {trace.error && isTracingDisabled(trace.error) && (
        <p className="notice" role="status" data-testid="tracing-disabled">
          Tracing is off on this system, so there is no trace to show ({describeError(trace.error)}).
        </p>
      )}
      {trace.error && !isTracingDisabled(trace.error) && <ProblemMessage error={trace.error} />}
      {trace.data && trace.data.spans.length === 0 && (
        <p className="empty">
          No spans yet{settled ? '' : ' (the order is still being paid)'}; spans reach the tracing backend a few seconds
          after the work. Try Refresh.
        </p>
      )}
      {trace.data && trace.data.spans.length > 0 && <TraceWaterfall trace={trace.data} />}
      {trace.data?.jaegerUrl && (
        <p>
          <a href={trace.data.jaegerUrl} target="_blank" rel="noreferrer">
            Open this trace in Jaeger
          </a>
        </p>
      )}
    </section>
  );
}
