import { useOrder } from '../hooks/useOrder';
import { useOrderWatch } from '../hooks/useOrderWatch';
import { formatMinor } from '../money';
import { ProblemMessage } from './ProblemMessage';
import { StatusBadge } from './StatusBadge';

/** One order just placed, its status kept live. */
export function LiveOrder({ id, onOpen }: { id: string; onOpen: (id: string) => void }) {
  const order = useOrder(id);
  const transport = useOrderWatch(order.data);
  if (order.error) return <li><ProblemMessage error={order.error} /></li>;
  if (!order.data) return <li className="loading">Loading order…</li>;
  const { data } = order;
  return (
    <li className="live-order" data-testid="placed-order" data-order-id={id}>
      <a href={`/orders/${id}`} onClick={(event) => { event.preventDefault(); onOpen(id); }}>
        {data.description || 'order'} · {formatMinor(data.amount)}
      </a>{' '}
      <StatusBadge order={data} />
      {transport && <span className="transport"> (following over {transport === 'stream' ? 'the event stream' : 'polling'})</span>}
    </li>
  );
}
