import { connect } from 'node:net';

/** One request exactly as written: repeated headers, control bytes and odd framing included. */
export interface RawRequest {
  method: string;
  /** Sent byte for byte: percent-encode what a URL must not hold, or not, on purpose. */
  path: string;
  /** In order; a name may repeat. Values go out as UTF-8 (or as given, for a Buffer). */
  headers?: Array<[string, string | Buffer]>;
  body?: string | Buffer;
}

export interface RawResponse {
  /** 0 when the server closed the connection or timed out without a status line. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Set when no complete response arrived. */
  failure?: string;
}

/** Longer than any answer of a healthy server, far shorter than the suite's timeouts. */
const TIMEOUT_MS = 10_000;

/**
 * Sends one HTTP/1.1 request over a fresh socket and reads the answer until the server closes
 * it. `fetch` and `http.request` refuse to send most of what the corpus needs (NUL and control
 * bytes in headers, a header twice, bytes that are not valid UTF-8).
 */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const body =
    request.body === undefined
      ? undefined
      : Buffer.isBuffer(request.body)
        ? request.body
        : Buffer.from(request.body, 'utf8');
  const head: Buffer[] = [Buffer.from(`${request.method} ${request.path} HTTP/1.1\r\n`, 'latin1')];
  const headers: Array<[string, string | Buffer]> = [
    ['host', `${hostname}:${port}`],
    ['connection', 'close'],
    ...(request.headers ?? []),
  ];
  if (body !== undefined) headers.push(['content-length', String(body.length)]);
  for (const [name, value] of headers) {
    head.push(Buffer.from(`${name}: `, 'latin1'), Buffer.from(value), Buffer.from('\r\n'));
  }
  head.push(Buffer.from('\r\n'));

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname);
    let settled = false;
    const finish = (failure?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponse(Buffer.concat(chunks), failure));
    };
    const timer = setTimeout(
      () => finish(`no complete answer within ${TIMEOUT_MS} ms`),
      TIMEOUT_MS,
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    // The server may answer (431, 413) and close before it has read everything: keep the answer.
    socket.on('error', (error) => finish(chunks.length > 0 ? undefined : error.message));
    socket.write(Buffer.concat(body === undefined ? head : [...head, body]));
  });
}

function parseResponse(raw: Buffer, failure: string | undefined): RawResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, headEnd === -1 ? raw.length : headEnd).toString('latin1');
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!statusLine || headEnd === -1) {
    return { status: 0, headers: {}, body: '', failure: failure ?? 'no status line' };
  }
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(headEnd + 4);
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
  return { status: Number(statusLine[1]), headers, body: body.toString('utf8') };
}

function unchunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = lineEnd === -1 ? 0 : parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
    rest = rest.subarray(lineEnd + 2 + size + 2);
  }
}

/** The body as JSON, or `undefined` when it is not JSON. */
export function jsonOf(response: RawResponse): unknown {
  try {
    return JSON.parse(response.body);
  } catch {
    return undefined;
  }
}
