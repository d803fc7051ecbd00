import { describe, expect, it } from 'vitest';
import type { Order } from '../api/types';
import { newest } from './useOrder';

const order = (status: Order['status']): Order =>
  ({
    id: '01a21a65-5ea1-70cf-ba53-7cffb452550a',
    user_id: 'alice',
    amount: 100,
    description: 'x',
    status,
    failure_reason: null,
    created_at: '2026-11-27T00:00:00Z',
    updated_at: '2026-11-27T00:00:00Z',
  }) as Order;

describe('a read of an order', () => {
  it('that answers NEW does not undo a final state the watcher wrote meanwhile', () => {
    expect(newest(order('FINISHED'), order('NEW')).status).toBe('FINISHED');
    expect(newest(order('CANCELLED'), order('NEW')).status).toBe('CANCELLED');
  });

  it('replaces an older state otherwise', () => {
    expect(newest(undefined, order('NEW')).status).toBe('NEW');
    expect(newest(order('NEW'), order('FINISHED')).status).toBe('FINISHED');
  });
});
