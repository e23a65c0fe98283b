/** Raw requests for subresources the typed client has no verb for (pods/binding, namespaces/finalize). */
import { ApiError, statusOf } from '../../api/meta/status.js';
import type { Status } from '../../api/meta/types.js';
import type { Client } from '../../client/types.js';

/**
 * POSTs or PUTs a JSON body and returns the decoded answer.
 * @throws ApiError carrying the server's Status for any non-2xx answer
 */
export async function sendJSON<T>(
  client: Client,
  method: 'POST' | 'PUT',
  path: string,
  body: unknown,
): Promise<T> {
  const res = await client.request({
    method,
    path,
    body,
    contentType: 'application/json',
    accept: 'application/json',
  });
  const text = res.body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (res.status >= 200 && res.status < 300) return parsed as T;
  const st = parsed as Partial<Status> | undefined;
  if (st?.kind === 'Status')
    throw new ApiError({
      ...statusOf(res.status, st.reason ?? '', st.message ?? text),
      ...st,
    });
  throw new ApiError(
    statusOf(res.status, '', `${method} ${path}: HTTP ${res.status}: ${text.slice(0, 200)}`),
  );
}
