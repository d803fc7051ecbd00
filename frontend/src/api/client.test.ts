import { describe, expect, it, vi } from 'vitest';
import { createApiClient, unwrap } from './client';
import { ApiError, describeError } from './problem';
import { fetchTrace, isTracingDisabled, normalizeTrace } from './trace';

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

describe('the trace', () => {
  it('reads spans whatever the casing of their fields, oldest first', () => {
    const trace = normalizeTrace({
      trace_id: 't-1',
      jaeger_url: 'http://jaeger/trace/t-1',
      spans: [
        { service: 'orders', name: 'CreateOrder', kind: 'server', span_id: 'b', parent_id: 'a', start_us: 150, duration_us: 30, attributes: { 'rpc.method': 'CreateOrder' } },
        { serviceName: 'gateway', operationName: 'POST /api/orders', spanID: 'a', startTime: 100, duration: 100, tags: [{ key: 'http.status_code', value: 202 }] },
        { service: 'payments', name: 'broken' },
      ],
    });
    expect(trace.traceId).toBe('t-1');
    expect(trace.jaegerUrl).toBe('http://jaeger/trace/t-1');
    expect(trace.spans.map((s) => [s.service, s.spanId, s.parentId])).toEqual([
      ['gateway', 'a', undefined],
      ['orders', 'b', 'a'],
    ]);
    expect(trace.spans[0]!.attributes).toEqual({ 'http.status_code': '202' });
  });

  it('recognises tracing being off', async () => {
    const fetch = async () =>
      problemResponse(503, { type: 'urn:orderflow:problem:tracing-disabled', title: 'Service Unavailable', status: 503, code: 'TRACING_DISABLED', detail: 'tracing is off' });
    const error = await caught(fetchTrace('o-1', fetch));
    expect(isTracingDisabled(error)).toBe(true);
  });
});
