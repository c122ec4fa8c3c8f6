/**
 * A small JSON client for the API over global fetch: what the smoke check and the end-to-end suite send, and
 * the parsed answer.
 */

// The body is whatever JSON the server sent: callers check its shape at run time (verify's check(), the e2e
// suite's expectations, the contract checker), so its default type is deliberately loose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ApiResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  readonly body: T;
  readonly text: string;
}

export interface ApiRequestOptions {
  /** Sent as JSON with `Content-Type: application/json`. */
  readonly json?: unknown;
  /** Sent as is (string or bytes); set the Content-Type in `headers`. */
  readonly body?: string | Uint8Array;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ApiResponse
export type ApiClient = <T = any>(method: string, path: string, options?: ApiRequestOptions) => Promise<ApiResponse<T>>;

/** A client for the stage at `baseUrl` ("https://.../prod"); `path` starts with "/". */
export function apiClient(baseUrl: string): ApiClient {
  const base = baseUrl.replace(/\/+$/, "");
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let body: string | Uint8Array | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["Content-Type"] ??= "application/json";
    }
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    const response = await fetch(`${base}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text === "" ? undefined : text;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    return { status: response.status, headers: response.headers, body: parsed as never, text };
  };
}
