import { describe, expect, it, vi } from 'vitest';
import { createApiClient, unwrap } from './client';
import { ApiError, describeError } from './problem';
import {
  fetchTrace,
  isTraceNotFound,
  isTracingDisabled,
  shouldRetryTrace,
  traceRetryDelay,
  TRACE_NOT_FOUND_RETRIES,
} from './trace';
import type { OrderTrace } from './types';

function problemResponse(status: number, body: object, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}

/** Node's Request needs an absolute URL; the browser resolves '' itself. */
const clientWith = (fetchImpl: typeof fetch) => createApiClient(fetchImpl, 'http://gateway.test');

async function caught(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected the call to fail');
}

describe('the API client', () => {
  it('returns the body of a success', async () => {
    const fetch = vi.fn(async (_req: Request) =>
      new Response(JSON.stringify({ user_id: 'alice', balance: 1250 }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      }),
    );
    const client = clientWith(fetch as unknown as typeof globalThis.fetch);
    const account = await unwrap(client.GET('/api/payments/balance/{userId}', { params: { path: { userId: 'alice' } } }));
    expect(account).toEqual({ user_id: 'alice', balance: 1250 });
    expect(fetch.mock.calls[0]![0].url).toMatch(/\/api\/payments\/balance\/alice$/);
  });

  it('sends the Idempotency-Key header', async () => {
    const fetch = vi.fn(async (_req: Request) =>
      new Response(JSON.stringify({ user_id: 'alice', balance: 0 }), {
        status: 201,
        headers: { 'content-type': 'application/json' },
      }),
    );
    const client = clientWith(fetch as unknown as typeof globalThis.fetch);
    await unwrap(
      client.POST('/api/payments/account', { body: { user_id: 'alice' }, params: { header: { 'Idempotency-Key': 'k-1' } } }),
    );
    expect(fetch.mock.calls[0]![0].headers.get('idempotency-key')).toBe('k-1');
  });

  it('turns a problem+json answer into a typed error', async () => {
    const client = clientWith(async () =>
      problemResponse(400, {
        type: 'urn:orderflow:problem:invalid-argument',
        title: 'Bad Request',
        status: 400,
        code: 'INVALID_ARGUMENT',
        detail: 'amount: amount must be greater than zero, got 0',
        correlation_id: 'c-1',
        field: 'amount',
      }),
    );
    const error = await caught(
      unwrap(client.POST('/api/orders', { body: { user_id: 'alice', amount: 0, description: '' } })),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe('amount');
    expect(error.correlationId).toBe('c-1');
    expect(error.isClientError).toBe(true);
    expect(describeError(error)).toBe('amount: amount must be greater than zero, got 0');
  });

  it('keeps the code of a 409 and the correlation id of the header when the body has none', async () => {
    const client = clientWith(async () =>
      problemResponse(
        409,
        { type: 'urn:orderflow:problem:already-exists', title: 'Conflict', status: 409, code: 'ALREADY_EXISTS', detail: 'user alice already has an account' },
        { 'x-correlation-id': 'from-header' },
      ),
    );
    const error = await caught(unwrap(client.POST('/api/payments/account', { body: { user_id: 'alice' } })));
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(error.correlationId).toBe('from-header');
    expect(describeError(error)).toBe('user alice already has an account');
  });

  it('reports an answer that is not a problem, such as a proxy page', async () => {
    const client = clientWith(async () =>
      new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html' } }),
    );
    const error = await caught(unwrap(client.GET('/api/orders/{id}', { params: { path: { id: 'x' } } })));
    expect(error.status).toBe(502);
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.isClientError).toBe(false);
    expect(error.detail).toContain('502');
  });

  it('reports a request that got no answer', async () => {
    const client = clientWith(async () => {
      throw new TypeError('Failed to fetch');
    });
    const error = await caught(unwrap(client.GET('/api/orders/{id}', { params: { path: { id: 'x' } } })));
    expect(error.status).toBe(0);
    expect(error.code).toBe('NETWORK');
    expect(error.detail).toContain('Failed to fetch');
  });
});

const problem = (status: number, code: string, detail = code) => ({
  type: `urn:orderflow:problem:${code.toLowerCase().replaceAll('_', '-')}`,
  title: status === 404 ? 'Not Found' : 'Service Unavailable',
  status,
  code,
  detail,
});

describe('the trace', () => {
  const body: OrderTrace = {
    order_id: '01a21490-5aef-71f7-8978-b3aedda61daf',
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    jaeger_url: 'http://localhost:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736',
    spans: [
      { span_id: 'a', parent_id: null, service: 'gateway', name: 'POST /api/orders', kind: 'server', start_us: 100, duration_us: 100, error: false, attributes: {} },
      { span_id: 'b', parent_id: 'a', service: 'orders', name: 'place', kind: 'internal', start_us: 150, duration_us: 30, error: true, attributes: {} },
    ],
  };

  it('is read through the typed client, as the gateway sends it', async () => {
    const fetch = vi.fn(async (_req: Request) =>
      new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } }),
    );
    const trace = await fetchTrace('01a21490-5aef-71f7-8978-b3aedda61daf', clientWith(fetch as unknown as typeof globalThis.fetch));
    expect(trace).toEqual(body);
    expect(fetch.mock.calls[0]![0].url).toMatch(/\/api\/orders\/01a21490-5aef-71f7-8978-b3aedda61daf\/trace$/);
  });

  it('recognises tracing being off', async () => {
    const client = clientWith(async () => problemResponse(503, problem(503, 'TRACING_DISABLED', 'tracing is off: this gateway has no JAEGER_QUERY_URL')));
    const error = await caught(fetchTrace('o-1', client));
    expect(isTracingDisabled(error)).toBe(true);
    expect(isTraceNotFound(error)).toBe(false);
    expect(describeError(error)).toBe('tracing is off: this gateway has no JAEGER_QUERY_URL');
  });

  it('recognises a trace that has not reached Jaeger yet, apart from an unknown order', async () => {
    const notYet = await caught(fetchTrace('o-1', clientWith(async () => problemResponse(404, problem(404, 'TRACE_NOT_FOUND')))));
    expect(isTraceNotFound(notYet)).toBe(true);
    const unknown = await caught(fetchTrace('o-1', clientWith(async () => problemResponse(404, problem(404, 'NOT_FOUND')))));
    expect(isTraceNotFound(unknown)).toBe(false);
    expect(unknown.code).toBe('NOT_FOUND');
  });

  it('asks again a few times for TRACE_NOT_FOUND, twice when Jaeger or the network fails, never otherwise', () => {
    const error = (status: number, code: string) => new ApiError({ status, code, detail: code });
    const tries = (e: unknown) => {
      let retries = 0;
      while (retries < 10 && shouldRetryTrace(retries, e)) retries += 1;
      return retries;
    };
    expect(tries(error(404, 'TRACE_NOT_FOUND'))).toBe(TRACE_NOT_FOUND_RETRIES);
    expect(tries(error(503, 'TRACING_UNAVAILABLE'))).toBe(2);
    expect(tries(error(0, 'NETWORK'))).toBe(2);
    expect(tries(error(503, 'TRACING_DISABLED'))).toBe(0);
    expect(tries(error(404, 'NOT_FOUND'))).toBe(0);
    expect(tries(error(400, 'INVALID_ARGUMENT'))).toBe(0);
  });

  it('waits 1 s, 2 s, then 4 s between tries', () => {
    expect([0, 1, 2, 3, 4].map(traceRetryDelay)).toEqual([1000, 2000, 4000, 4000, 4000]);
  });
});
