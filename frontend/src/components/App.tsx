import { useState } from 'react';
import type { Order } from '../api/types';
import { useRoute } from '../hooks/useRoute';
import { useUserId } from '../hooks/useUserId';
import { AccountPanel } from './AccountPanel';
import { CreateOrderForm } from './CreateOrderForm';
import { OrderDetail } from './OrderDetail';
import { OrderList } from './OrderList';
import { PlacedOrders } from './PlacedOrders';
import { UserForm } from './UserForm';

export function App() {
  const [userId, setUserId] = useUserId();
  const [route, navigate] = useRoute();
  const [placed, setPlaced] = useState<string[]>([]);
  const onCreated = (order: Order) => setPlaced((ids) => [order.id, ...ids.filter((id) => id !== order.id)]);
  const changeUser = (id: string) => {
    setPlaced([]);
    setUserId(id);
  };

  return (
    <>
      <header className="top">
        <a
          className="brand"
          href="/"
          onClick={(event) => {
            event.preventDefault();
            navigate('/');
          }}
        >
          orderflow
        </a>
        <UserForm userId={userId} onChange={changeUser} />
      </header>
      <main>
        {route.page === 'order' ? (
          <OrderDetail id={route.id} onBack={() => navigate('/')} />
        ) : userId === '' ? (
          <p className="empty">Enter your user id above to start.</p>
        ) : (
          <>
            <AccountPanel userId={userId} />
            <CreateOrderForm userId={userId} onCreated={onCreated} />
            <PlacedOrders ids={placed} onOpen={(id) => navigate(`/orders/${id}`)} />
            <OrderList userId={userId} onOpen={(id) => navigate(`/orders/${id}`)} />
          </>
        )}
      </main>
    </>
  );
}
