// GET /api/orders/{id}/trace: the order's spans across the services, read
// from Jaeger by the gateway. Its exact shape is new, so it is normalised
// here from the field names it is likely to use.

import { ApiError, errorFromResponse, networkError } from './problem';

export interface Span {
  spanId: string;
  parentId: string | undefined;
  service: string;
  name: string;
  kind: string | undefined;
  /** Microseconds since the epoch. */
  startUs: number;
  durationUs: number;
  attributes: Record<string, string>;
}

export interface Trace {
  traceId: string | undefined;
  spans: Span[];
  jaegerUrl: string | undefined;
}

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pick(raw: Raw, ...keys: string[]): unknown {
  for (const key of keys) if (raw[key] !== undefined && raw[key] !== null) return raw[key];
  return undefined;
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function attributes(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isRecord(item)) {
        const key = str(item.key);
        if (key) out[key] = String(item.value ?? '');
      }
    }
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      out[key] = typeof item === 'string' ? item : JSON.stringify(item);
    }
  }
  return out;
}

function normalizeSpan(raw: unknown): Span | undefined {
  if (!isRecord(raw)) return undefined;
  const spanId = str(pick(raw, 'span_id', 'spanId', 'spanID', 'id'));
  const startUs = num(pick(raw, 'start_us', 'start_time_us', 'startUs', 'start_time', 'startTime'));
  const durationUs = num(pick(raw, 'duration_us', 'durationUs', 'duration'));
  if (!spanId || startUs === undefined || durationUs === undefined) return undefined;
  return {
    spanId,
    parentId: str(pick(raw, 'parent_id', 'parent_span_id', 'parentId', 'parentSpanId', 'parentSpanID')),
    service: str(pick(raw, 'service', 'service_name', 'serviceName')) ?? 'unknown',
    name: str(pick(raw, 'name', 'operation_name', 'operationName')) ?? '(unnamed)',
    kind: str(pick(raw, 'kind', 'span_kind', 'spanKind')),
    startUs,
    durationUs,
    attributes: attributes(pick(raw, 'attributes', 'tags')),
  };
}

/** Reads the trace endpoint's answer; unknown or broken spans are dropped. */
export function normalizeTrace(raw: unknown): Trace {
  const body = isRecord(raw) ? raw : {};
  const list = pick(body, 'spans');
  const spans = (Array.isArray(list) ? list : [])
    .map(normalizeSpan)
    .filter((span): span is Span => span !== undefined)
    .sort((a, b) => a.startUs - b.startUs);
  return {
    traceId: str(pick(body, 'trace_id', 'traceId', 'traceID')),
    spans,
    jaegerUrl: str(pick(body, 'jaeger_url', 'jaegerUrl')),
  };
}

/** The code of the problem the gateway sends when tracing is off. */
export const TRACING_DISABLED = 'TRACING_DISABLED';

export async function fetchTrace(orderId: string, fetchImpl: typeof fetch = fetch): Promise<Trace> {
  let response: Response;
  try {
    response = await fetchImpl(`/api/orders/${encodeURIComponent(orderId)}/trace`, {
      headers: { accept: 'application/json' },
    });
  } catch (cause) {
    throw networkError(cause);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw errorFromResponse(response, body);
  if (!isRecord(body)) throw errorFromResponse(response, undefined);
  return normalizeTrace(body);
}

export function isTracingDisabled(error: unknown): boolean {
  return error instanceof ApiError && error.code === TRACING_DISABLED;
}
