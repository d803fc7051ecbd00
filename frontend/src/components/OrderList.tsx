import { useState } from 'react';
import { useOrders } from '../hooks/useOrders';
import { formatMinor } from '../money';
import { Pagination } from './Pagination';
import { ProblemMessage } from './ProblemMessage';
import { StatusBadge } from './StatusBadge';

const PAGE_SIZES = [5, 10, 20];

export function OrderList({ userId, onOpen }: { userId: string; onOpen: (id: string) => void }) {
  const [limit, setLimit] = useState(5);
  const [offset, setOffset] = useState(0);
  const orders = useOrders(userId, limit, offset);

  return (
    <section aria-labelledby="orders-title" className="card">
      <div className="section-head">
        <h2 id="orders-title">Your orders</h2>
        <label>
          Per page{' '}
          <select value={limit} onChange={(event) => { setLimit(Number(event.target.value)); setOffset(0); }}>
            {PAGE_SIZES.map((size) => <option key={size} value={size}>{size}</option>)}
          </select>
        </label>
      </div>
      {orders.isPending && <p className="loading">Loading orders…</p>}
      <ProblemMessage error={orders.error} />
      {orders.data && orders.data.total === 0 && <p className="empty">No orders yet.</p>}
      {orders.data && orders.data.items.length > 0 && (
        <>
          <table className="orders" aria-busy={orders.isFetching}>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Description</th>
                <th scope="col" className="num">Amount</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {orders.data.items.map((order) => (
                <tr key={order.id} data-testid="order-row" data-order-id={order.id}>
                  <td>{new Date(order.created_at).toLocaleString()}</td>
                  <td>
                    <a href={`/orders/${order.id}`} onClick={(event) => { event.preventDefault(); onOpen(order.id); }}>
                      {order.description || '(no description)'}
                    </a>
                  </td>
                  <td className="num">{formatMinor(order.amount)}</td>
                  <td><StatusBadge order={order} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {orders.data && orders.data.total > 0 && (
        <Pagination offset={offset} limit={limit} total={orders.data.total} onOffset={setOffset} />
      )}
    </section>
  );
}
