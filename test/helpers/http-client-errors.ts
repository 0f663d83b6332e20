import { type ClientRequest, createServer, type IncomingMessage, request } from 'node:http';

/** A request really sent to a loopback server, and the 500 it answered, Set-Cookie included. */
export async function failedExchange(
  path: string,
  headers: Record<string, string>,
  setCookie: string,
): Promise<{ request: ClientRequest; response: IncomingMessage; port: number }> {
  const server = createServer((_req, res) => {
    res.setHeader('set-cookie', setCookie);
    res.statusCode = 500;
    res.end('failed');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    return await new Promise((resolve, reject) => {
      const sent = request({ host: '127.0.0.1', port, path, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve({ request: sent, response: res, port }));
      });
      sent.on('error', reject).end();
    });
  } finally {
    server.close();
  }
}

/** axios's headers: a class written as its JSON, a plain copy of its fields. */
export class AxiosHeaders {
  constructor(headers: Record<string, string>) {
    Object.assign(this, headers);
  }
  toJSON(): Record<string, unknown> {
    return { ...(this as object) };
  }
}

/**
 * axios's error as axios 1.x builds it: message, name, code, config, request (the ClientRequest)
 * and response (a plain object holding the config, the request and the response's headers) as
 * fields, and a `toJSON` that copies the config but keeps objects with a `toJSON` of their own.
 */
export class AxiosError extends Error {
  readonly isAxiosError = true;
  readonly status: number;
  constructor(
    message: string,
    readonly code: string,
    readonly config: { headers: AxiosHeaders } & Record<string, unknown>,
    readonly request: ClientRequest,
    readonly response: { status: number; headers: AxiosHeaders } & Record<string, unknown>,
  ) {
    super(message);
    Object.defineProperty(this, 'message', { value: message, enumerable: true, writable: true });
    this.name = 'AxiosError';
    this.status = response.status;
  }
  toJSON(): Record<string, unknown> {
    return {
      message: this.message,
      name: this.name,
      stack: this.stack,
      config: toJSONObject(this.config),
      code: this.code,
      status: this.status,
    };
  }
}

function toJSONObject(source: unknown): unknown {
  if (source === null || typeof source !== 'object' || 'toJSON' in source) return source;
  if (Array.isArray(source)) return source.map(toJSONObject);
  return Object.fromEntries(Object.entries(source).map(([k, v]) => [k, toJSONObject(v)]));
}

/** The error axios rejects with for a request that got a 500, built from a real exchange. */
export async function axiosFailure(
  headers: Record<string, string>,
  setCookie: string,
  path = '/v1/items',
): Promise<{ err: AxiosError; port: number }> {
  const { request, response, port } = await failedExchange(path, headers, setCookie);
  const config = {
    url: `http://127.0.0.1:${port}${path}`,
    method: 'get',
    headers: new AxiosHeaders(headers),
    timeout: 0,
  };
  const received = {
    status: 500,
    statusText: 'Internal Server Error',
    headers: new AxiosHeaders(response.headers as Record<string, string>),
    config,
    request,
    data: 'failed',
  };
  const err = new AxiosError(
    'Request failed with status code 500',
    'ERR_BAD_RESPONSE',
    config,
    request,
    received,
  );
  return { err, port };
}

/** got's options: a class written as its JSON, a copy of its fields. */
class GotOptions {
  readonly username = '';
  readonly password = '';
  constructor(
    readonly url: string,
    readonly headers: Record<string, string>,
  ) {}
  toJSON(): Record<string, unknown> {
    return { ...(this as object) };
  }
}

/**
 * got's error for a response it refused, as got builds it: name, code, options and timings as
 * fields; the request and the response kept out of JSON, as fields that are not enumerable.
 */
export async function gotFailure(
  message: string,
  headers: Record<string, string>,
  setCookie: string,
): Promise<{ err: Error; port: number }> {
  const { request, response, port } = await failedExchange('/v1/items', headers, setCookie);
  const err = Object.assign(new Error(message), {
    name: 'HTTPError',
    code: 'ERR_NON_2XX_3XX_RESPONSE',
    options: new GotOptions(`http://127.0.0.1:${port}/v1/items`, headers),
    timings: { start: 0, end: 1 },
  });
  Object.defineProperty(err, 'request', { value: request, enumerable: false });
  Object.defineProperty(err, 'response', { value: response, enumerable: false });
  return { err, port };
}
