// Follows one order until it is final: over Server-Sent Events first
// (GET /api/orders/{id}/events), and by polling GET /api/orders/{id} with
// backoff when the stream cannot be used (not supported, refused, dropped,
// or ended by a `problem` event).
//
// The stream: each state is a plain message event (no `event:` name) whose
// data is the Order JSON; `: heartbeat` comments (EventSource drops them); a
// failure after the start is one `event: problem` with a problem JSON, then
// the end. The server closes after the final state, and EventSource would
// reconnect by itself, so the watch closes it on a final state.

import { ApiError, asProblem } from '../api/problem';
import { isFinal, parseOrderEvent, type Order } from '../api/types';

/** The part of `EventSource` used here, so tests can pass a fake. */
export interface EventSourceLike {
  onmessage: ((event: MessageEvent<string>) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}
export type EventSourceFactory = (url: string) => EventSourceLike;

export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}
export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 8000, factor: 2 };

/** The delay before poll number `attempt` (0-based). */
export function backoffDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** attempt);
}

export type Transport = 'stream' | 'polling';

export interface WatchCallbacks {
  /** Every state seen, the final one included. */
  onOrder(order: Order): void;
  /** How the order is being followed now. */
  onTransport?(transport: Transport): void;
  /** A poll failed; polling goes on after the next delay. */
  onPollError?(error: unknown): void;
  /** The stream ended with a `problem` event; polling follows. */
  onStreamProblem?(error: ApiError): void;
}

export interface WatchDeps {
  fetchOrder(id: string): Promise<Order>;
  /** Absent when the browser has no EventSource: polling from the start. */
  eventSource?: EventSourceFactory | undefined;
  backoff?: Backoff;
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export function eventsUrl(id: string): string {
  return `/api/orders/${encodeURIComponent(id)}/events`;
}

/** Starts following order `id`; the returned function stops it. */
export function watchOrder(id: string, callbacks: WatchCallbacks, deps: WatchDeps): () => void {
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const setTimer = deps.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer = deps.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  let stopped = false;
  let source: EventSourceLike | undefined;
  let timer: unknown;

  const closeStream = () => {
    if (source) {
      source.onmessage = null;
      source.onerror = null;
      source.close();
      source = undefined;
    }
  };

  const stop = () => {
    stopped = true;
    closeStream();
    if (timer !== undefined) clearTimer(timer);
    timer = undefined;
  };

  const seen = (order: Order) => {
    if (stopped) return;
    callbacks.onOrder(order);
    if (isFinal(order.status)) stop();
  };

  const poll = (attempt: number) => {
    timer = setTimer(() => {
      timer = undefined;
      if (stopped) return;
      deps.fetchOrder(id).then(
        (order) => {
          seen(order);
          if (!stopped) poll(attempt + 1);
        },
        (error: unknown) => {
          if (stopped) return;
          callbacks.onPollError?.(error);
          poll(attempt + 1);
        },
      );
    }, backoffDelay(attempt, backoff));
  };

  const fallBackToPolling = () => {
    closeStream();
    if (stopped) return;
    callbacks.onTransport?.('polling');
    poll(0);
  };

  if (!deps.eventSource) {
    fallBackToPolling();
    return stop;
  }

  try {
    source = deps.eventSource(eventsUrl(id));
  } catch {
    fallBackToPolling();
    return stop;
  }
  callbacks.onTransport?.('stream');
  source.onmessage = (event) => {
    const order = parseOrderEvent(event.data);
    if (order && order.id === id) seen(order);
  };
  source.addEventListener('problem', (event) => {
    if (stopped) return;
    const problem = asProblem(parseJson(event.data));
    callbacks.onStreamProblem?.(
      problem
        ? new ApiError({
            status: problem.status,
            code: problem.code,
            detail: problem.detail,
            correlationId: problem.correlation_id,
          })
        : new ApiError({ status: 0, code: 'BAD_RESPONSE', detail: 'the event stream failed without details' }),
    );
    fallBackToPolling();
  });
  // The stream ends only after a final state, which stops the watch first;
  // any error before that (refused, dropped, a proxy closing it) means
  // polling from now on, rather than EventSource's silent reconnects.
  source.onerror = () => fallBackToPolling();
  return stop;
}

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
