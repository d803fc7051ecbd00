import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiError } from '../api/problem';
import type { Order } from '../api/types';
import { backoffDelay, watchOrder, type EventSourceLike, type Transport } from './watchOrder';

class FakeEventSource implements EventSourceLike {
  static last: FakeEventSource | undefined;
  onmessage: ((event: MessageEvent<string>) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  private listeners = new Map<string, (event: MessageEvent<string>) => void>();

  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void) {
    this.listeners.set(type, listener);
  }
  close() {
    this.closed = true;
  }
  /** A plain message event, as the gateway sends each state. */
  emit(order: Order | string) {
    const data = typeof order === 'string' ? order : JSON.stringify(order);
    this.onmessage?.({ data } as MessageEvent<string>);
  }
  /** A named event (`event: <type>`). */
  emitNamed(type: string, data: string) {
    this.listeners.get(type)?.({ data } as MessageEvent<string>);
  }
  fail() {
    this.onerror?.(new Event('error'));
  }
}

function order(status: Order['status'], failure_reason: string | null = null): Order {
  return {
    id: 'o-1',
    user_id: 'alice',
    amount: 1250,
    description: 'two coffees',
    status,
    failure_reason,
    created_at: '2026-01-31T12:00:00.000Z',
    updated_at: '2026-01-31T12:00:00.000Z',
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    correlation_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  };
}

const backoff = { initialMs: 100, maxMs: 800, factor: 2 };

describe('watchOrder', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeEventSource.last = undefined;
  });
  afterEach(() => vi.useRealTimers());

  function start(fetchOrder: (id: string) => Promise<Order>, withStream = true) {
    const seen: Order['status'][] = [];
    const transports: Transport[] = [];
    const pollErrors: unknown[] = [];
    const streamProblems: ApiError[] = [];
    const stop = watchOrder(
      'o-1',
      {
        onOrder: (o) => seen.push(o.status),
        onTransport: (t) => transports.push(t),
        onPollError: (e) => pollErrors.push(e),
        onStreamProblem: (e) => streamProblems.push(e),
      },
      {
        fetchOrder,
        eventSource: withStream ? (url) => new FakeEventSource(url) : undefined,
        backoff,
      },
    );
    return { seen, transports, pollErrors, streamProblems, stop };
  }

  it('follows the stream to the final state and closes it', () => {
    const fetchOrder = vi.fn<(id: string) => Promise<Order>>();
    const { seen, transports } = start(fetchOrder);
    const source = FakeEventSource.last!;
    expect(source.url).toBe('/api/orders/o-1/events');
    source.emit(order('NEW'));
    source.emit(order('CANCELLED', 'INSUFFICIENT_FUNDS'));
    expect(seen).toEqual(['NEW', 'CANCELLED']);
    expect(transports).toEqual(['stream']);
    expect(source.closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(fetchOrder).not.toHaveBeenCalled();
  });

  it('passes on the whole order of each event, ids included', () => {
    const orders: Order[] = [];
    watchOrder('o-1', { onOrder: (o) => orders.push(o) }, { fetchOrder: vi.fn(), eventSource: (url) => new FakeEventSource(url) });
    FakeEventSource.last!.emit(order('FINISHED'));
    expect(orders).toEqual([order('FINISHED')]);
  });

  it('ignores events that are not an order of this id', () => {
    const { seen } = start(vi.fn());
    const source = FakeEventSource.last!;
    source.emit('not json');
    source.emit('{"hello":1}');
    source.emit(JSON.stringify({ order: order('NEW') }));
    source.emit(JSON.stringify({ ...order('NEW'), status: 'PAID' }));
    source.emit(JSON.stringify({ ...order('NEW'), amount: '1250' }));
    const { user_id: _, ...noUser } = order('NEW');
    source.emit(JSON.stringify(noUser));
    source.emit({ ...order('FINISHED'), id: 'o-2' });
    expect(seen).toEqual([]);
    expect(source.closed).toBe(false);
  });

  it('accepts orders created before trace ids were recorded', () => {
    const { seen } = start(vi.fn());
    const { trace_id: _t, correlation_id: _c, ...old } = order('NEW');
    FakeEventSource.last!.emit(JSON.stringify(old));
    FakeEventSource.last!.emit({ ...order('NEW'), trace_id: null, correlation_id: null });
    expect(seen).toEqual(['NEW', 'NEW']);
  });

  it('reports a problem event, closes the stream and polls', async () => {
    const fetchOrder = vi.fn(async () => order('FINISHED'));
    const { seen, transports, streamProblems } = start(fetchOrder);
    const source = FakeEventSource.last!;
    source.emit(order('NEW'));
    source.emitNamed(
      'problem',
      JSON.stringify({
        type: 'urn:orderflow:problem:unavailable',
        title: 'Service Unavailable',
        status: 503,
        code: 'UNAVAILABLE',
        detail: 'the orders service is unavailable',
        correlation_id: 'c-9',
      }),
    );
    expect(source.closed).toBe(true);
    expect(transports).toEqual(['stream', 'polling']);
    expect(streamProblems.map((e) => [e.status, e.code, e.correlationId])).toEqual([[503, 'UNAVAILABLE', 'c-9']]);
    // The end of the stream that follows changes nothing.
    source.fail();
    expect(transports).toEqual(['stream', 'polling']);
    await vi.advanceTimersByTimeAsync(100);
    expect(fetchOrder).toHaveBeenCalledTimes(1);
    expect(seen).toEqual(['NEW', 'FINISHED']);
  });

  it('polls after a problem event it cannot read', () => {
    const { transports, streamProblems } = start(vi.fn(async () => order('NEW')));
    FakeEventSource.last!.emitNamed('problem', 'oops');
    expect(transports).toEqual(['stream', 'polling']);
    expect(streamProblems.map((e) => e.code)).toEqual(['BAD_RESPONSE']);
  });

  it('falls back to polling with backoff when the stream fails', async () => {
    const answers = [order('NEW'), order('NEW'), order('NEW'), order('FINISHED')];
    const fetchOrder = vi.fn(async () => answers.shift()!);
    const { seen, transports } = start(fetchOrder);
    const source = FakeEventSource.last!;
    source.emit(order('NEW'));
    source.fail();
    expect(source.closed).toBe(true);
    expect(transports).toEqual(['stream', 'polling']);

    // Polls at 100, then 200, 400, 800 ms after each answer.
    await vi.advanceTimersByTimeAsync(99);
    expect(fetchOrder).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchOrder).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(199);
    expect(fetchOrder).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchOrder).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(400);
    expect(fetchOrder).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(800);
    expect(fetchOrder).toHaveBeenCalledTimes(4);
    expect(seen).toEqual(['NEW', 'NEW', 'NEW', 'NEW', 'FINISHED']);

    // Final: no more polls.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fetchOrder).toHaveBeenCalledTimes(4);
  });

  it('keeps polling through failed polls, never waiting longer than the cap', async () => {
    let calls = 0;
    const fetchOrder = vi.fn(async () => {
      calls += 1;
      if (calls < 6) throw new Error('gateway down');
      return order('FINISHED');
    });
    const { seen, pollErrors } = start(fetchOrder);
    FakeEventSource.last!.fail();
    // 100 + 200 + 400 + 800 + 800 + 800
    await vi.advanceTimersByTimeAsync(3099);
    expect(fetchOrder).toHaveBeenCalledTimes(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchOrder).toHaveBeenCalledTimes(6);
    expect(pollErrors).toHaveLength(5);
    expect(seen).toEqual(['FINISHED']);
  });

  it('polls from the start without EventSource', async () => {
    const fetchOrder = vi.fn(async () => order('FINISHED'));
    const { seen, transports } = start(fetchOrder, false);
    expect(transports).toEqual(['polling']);
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toEqual(['FINISHED']);
  });

  it('stops polling when stopped', async () => {
    const fetchOrder = vi.fn(async () => order('NEW'));
    const { stop } = start(fetchOrder);
    FakeEventSource.last!.fail();
    await vi.advanceTimersByTimeAsync(100);
    expect(fetchOrder).toHaveBeenCalledTimes(1);
    stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fetchOrder).toHaveBeenCalledTimes(1);
  });
});

describe('backoffDelay', () => {
  it('doubles from the first delay up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, backoff))).toEqual([100, 200, 400, 800, 800, 800]);
  });
});
