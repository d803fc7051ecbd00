import { describeError } from '../api/problem';
import { isTraceNotFound, isTracingDisabled, TRACE_NOT_FOUND_RETRIES } from '../api/trace';
import { useTrace } from '../hooks/useTrace';
import { ProblemMessage } from './ProblemMessage';
import { TraceWaterfall } from './TraceWaterfall';

/** The order's trace across the services, fetched through the gateway. */
export function TraceView({ orderId, settled }: { orderId: string; settled: boolean }) {
  const trace = useTrace(orderId, true);
  const { data, error } = trace;
  // 404 TRACE_NOT_FOUND: the order is known, its spans are not in Jaeger yet.
  const waitingForSpans = trace.isFetching && isTraceNotFound(trace.failureReason);
  const noSpansYet = isTraceNotFound(error) || data?.spans.length === 0;
  return (
    <section aria-labelledby="trace-title" className="card">
      <div className="section-head">
        <h2 id="trace-title">Trace</h2>
        <button type="button" onClick={() => void trace.refetch()} disabled={trace.isFetching}>
          {trace.isFetching ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      {waitingForSpans && (
        <p className="loading" data-testid="trace-waiting">
          Waiting for the spans to reach the tracing backend (try {Math.min(trace.failureCount, TRACE_NOT_FOUND_RETRIES) + 1}{' '}
          of {TRACE_NOT_FOUND_RETRIES + 1})…
        </p>
      )}
      {trace.isPending && !waitingForSpans && <p className="loading">Loading the trace…</p>}
      {isTracingDisabled(error) && (
        <p className="notice" role="status" data-testid="tracing-disabled">
          Tracing is off on this system, so there is no trace to show ({describeError(error)}).
        </p>
      )}
      {noSpansYet && !waitingForSpans && (
        <p className="empty" data-testid="trace-not-found">
          No spans yet{settled ? '' : ' (the order is still being paid)'}; spans reach the tracing backend a few seconds
          after the work. Try Refresh.
        </p>
      )}
      <ProblemMessage error={isTracingDisabled(error) || isTraceNotFound(error) ? undefined : error} />
      {data && data.spans.length > 0 && <TraceWaterfall trace={data} />}
      {data?.jaeger_url && (
        <p>
          <a href={data.jaeger_url} target="_blank" rel="noreferrer">
            Open this trace in Jaeger
          </a>
        </p>
      )}
    </section>
  );
}
