import { isFinal } from '../api/types';
import { useOrder } from '../hooks/useOrder';
import { useOrderWatch } from '../hooks/useOrderWatch';
import { formatMinor } from '../money';
import { ProblemMessage } from './ProblemMessage';
import { StatusBadge } from './StatusBadge';
import { TraceView } from './TraceView';

export function OrderDetail({ id, onBack }: { id: string; onBack: () => void }) {
  const order = useOrder(id);
  const transport = useOrderWatch(order.data);
  const data = order.data;

  return (
    <>
      <p>
        <a href="/" onClick={(event) => { event.preventDefault(); onBack(); }}>
          ← All orders
        </a>
      </p>
      <section aria-labelledby="order-title" className="card">
        <h2 id="order-title">Order</h2>
        {order.isPending && <p className="loading">Loading the order…</p>}
        <ProblemMessage error={order.error} />
        {data && (
          <dl className="details">
            <dt>Status</dt>
            <dd>
              <StatusBadge order={data} />
              {transport && <span className="transport"> (live)</span>}
            </dd>
            <dt>Amount</dt>
            <dd>{formatMinor(data.amount)}</dd>
            <dt>Description</dt>
            <dd>{data.description || '(none)'}</dd>
            <dt>User</dt>
            <dd>{data.user_id}</dd>
            <dt>Id</dt>
            <dd><code>{data.id}</code></dd>
            <dt>Created</dt>
            <dd>{new Date(data.created_at).toLocaleString()}</dd>
            <dt>Updated</dt>
            <dd>{new Date(data.updated_at).toLocaleString()}</dd>
            <dt>Correlation id</dt>
            <dd>
              {data.correlation_id ? <code data-testid="correlation-id">{data.correlation_id}</code> : '(not recorded)'}
            </dd>
            <dt>Trace id</dt>
            <dd>{data.trace_id ? <code data-testid="trace-id">{data.trace_id}</code> : '(not recorded)'}</dd>
          </dl>
        )}
      </section>
      {data && <TraceView orderId={id} settled={isFinal(data.status)} />}
    </>
  );
}
