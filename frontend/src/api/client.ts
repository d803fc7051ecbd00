// The typed API client, generated from the gateway's OpenAPI document
// (`openapi.json` → `schema.d.ts`, see `npm run gen:api`). Every call either
// returns the success body or throws an `ApiError`.

import createClient from 'openapi-fetch';
import type { paths } from './schema';
import { errorFromResponse, networkError } from './problem';

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient(
  fetchImpl: typeof fetch = (...args) => globalThis.fetch(...args),
  baseUrl = '',
) {
  return createClient<paths>({ baseUrl, fetch: fetchImpl });
}

/** What openapi-fetch resolves with. */
interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws an `ApiError`
 * for a problem answer, any other failed answer, or no answer at all.
 */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (cause) {
    throw networkError(cause);
  }
  const { data, error, response } = result;
  if (!response.ok) throw errorFromResponse(response, error);
  if (data === undefined) throw errorFromResponse(response, undefined);
  return data;
}

export const api = createApiClient();
