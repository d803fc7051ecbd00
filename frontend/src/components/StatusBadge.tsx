import type { Order } from '../api/types';

const REASONS: Record<string, string> = {
  INSUFFICIENT_FUNDS: 'not enough money in the account',
  ACCOUNT_NOT_FOUND: 'no account to pay from',
};

/** The order's status, and why it was cancelled. */
export function StatusBadge({ order }: { order: Pick<Order, 'status' | 'failure_reason'> }) {
  const reason = order.failure_reason;
  return (
    <span className="status-wrap">
      <span className={`status status-${order.status.toLowerCase()}`} data-testid="order-status" data-status={order.status}>
        {order.status}
      </span>
      {order.status === 'CANCELLED' && reason && (
        <span className="reason" data-testid="failure-reason">
          {' '}
          {reason}
          {REASONS[reason] && ` (${REASONS[reason]})`}
        </span>
      )}
    </span>
  );
}
