import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One `_bulk` operation as the intake parsed it. */
export interface BulkOp {
  readonly action: string;
  readonly index: string | undefined;
  readonly doc: Record<string, unknown>;
  /** The document's line as sent. */
  readonly source: string;
}

/** One request as the intake saw it. */
export interface EsRequest {
  readonly kind: 'bulk' | 'traces' | 'other';
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Bytes on the wire (compressed). */
  readonly wire: Buffer;
  /** Decompressed body. */
  readonly body: Buffer;
  /** Parsed operations of a well-formed `_bulk` body. */
  readonly ops: BulkOp[];
  /** Status the intake answered (-1: connection dropped). */
  status: number;
  /** Per-operation status in the answer (bulk requests answered 200). */
  itemStatuses: number[];
  /** Arrival time, epoch ms. */
  readonly at: number;
}

/** A scripted whole-request answer replacing the default for one request. */
export interface EsReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Destroy the socket instead of answering. */
  drop?: boolean;
  /**
   * Take the request as usual (its documents created), then answer it only after this many ms: a
   * client whose timeout is shorter hears nothing.
   */
  lateMs?: number;
  /** Applies only to a request whose first document goes to this data stream. */
  stream?: string;
}

/** A per-document answer: `undefined` means the document is created (201). */
export type ItemRule = (
  op: BulkOp,
  attempt: number,
) => { status: number; type: string; reason: string } | undefined;

export interface EsIntakeOptions {
  /** The exact `Authorization` value accepted; anything else gets 401. */
  authorization: string;
  /** `http.max_content_length` (decompressed bytes); larger gets 413. Default 100 MB, as Elasticsearch. */
  maxContentLength?: number;
  /** `index.mapping.total_fields.limit`: most fields in a data stream's mapping. Default 1000, as Elasticsearch. */
  totalFieldsLimit?: number;
  /**
   * Data streams mapped by an ECS index template (an Elastic integration's, or ECS's own component
   * templates): the ECS field sets are objects from the start, so a document with a plain value
   * there is refused, as one is after other documents (Elastic Agent's `agent.*`, ecs-pino-format's
   * `http.*`, `url.*` and `process.pid`) made them objects.
   */
  ecsTemplate?: boolean;
  port?: number;
}

const INDEX_FORBIDDEN = /[\\/*?"<>|,# :A-Z]/;

/** Elasticsearch's metadata fields: a document carrying one at its root is refused. */
const METADATA_FIELDS = new Set([
  '_id',
  '_index',
  '_source',
  '_routing',
  '_version',
  '_seq_no',
  '_primary_term',
  '_ignored',
  '_tier',
  '_doc_count',
  '_field_names',
  '_data_stream_timestamp',
]);

/** The refusal Elasticsearch gives a document with a metadata field at its root. */
function metadataFieldError(doc: Record<string, unknown>): string | undefined {
  const field = Object.keys(doc).find((k) => METADATA_FIELDS.has(k));
  if (field === undefined) return undefined;
  return `Field [${field}] is a metadata field and cannot be added inside a document. Use the index API request parameters.`;
}

/** The refusal Elasticsearch gives a document with a field, at any depth, whose name is empty. */
function emptyFieldNameError(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const v of value) {
      const error = emptyFieldNameError(v);
      if (error !== undefined) return error;
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '') return 'field name cannot be an empty string';
      const error = emptyFieldNameError(child);
      if (error !== undefined) return error;
    }
  }
  return undefined;
}

/**
 * The ECS field sets at the root of a document: objects in ECS's templates. The ECS digest names
 * `service.*`, `event.*`, `host.hostname`, `process.pid`, `log.logger`, `error.*`, `trace.id`,
 * `span.id`, `transaction.id`, `labels` and ecs-pino-format's `http.*` and `url.*`; the rest are
 * ECS's other top-level field sets (Elastic Agent writes `agent.*` on every document it ships).
 */
const ECS_OBJECTS = (
  'agent client cloud container data_stream destination device dll dns ecs email error ' +
  'event faas file group host http labels log network observer orchestrator organization ' +
  'package process registry related rule server service source span threat tls trace ' +
  'transaction url user user_agent vulnerability'
).split(' ');

/** How dynamic mapping fixed a field: an object (it has sub-fields) or a concrete value. */
type FieldKind = 'object' | 'value';

/** The kind of every field of a document, dotted keys expanded and arrays looked through, as Elasticsearch maps them. */
function fieldKinds(value: unknown, path: string, out: [string, FieldKind][]): void {
  if (Array.isArray(value)) {
    for (const v of value) fieldKinds(v, path, out);
  } else if (typeof value === 'object' && value !== null) {
    if (path !== '') out.push([path, 'object']);
    for (const [key, child] of Object.entries(value)) {
      const parts = key.split('.');
      let at = path;
      parts.forEach((part, i) => {
        at = at === '' ? part : `${at}.${part}`;
        if (i < parts.length - 1) out.push([at, 'object']);
      });
      fieldKinds(child, at, out);
    }
  } else if (value !== null && value !== undefined && path !== '') {
    out.push([path, 'value']);
  }
}

/** A number as its JSON text wrote it: dynamic mapping makes a field a `long` for `3`, a `float` for `3.0`. */
interface JsonNumber {
  readonly value: number;
  readonly integral: boolean;
}

/** Every number of a document line with its dotted field path, dotted keys expanded and arrays looked through. */
function numberFields(source: string): [string, JsonNumber][] {
  const tokens = JSON.parse(source, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' ? { value, integral: !/[.eE]/.test(context?.source ?? '') } : value,
  ) as unknown;
  const out: [string, JsonNumber][] = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) for (const v of value) walk(v, path);
    else if (typeof value === 'object' && value !== null && 'integral' in value)
      out.push([path, value as JsonNumber]);
    else if (typeof value === 'object' && value !== null)
      for (const [key, child] of Object.entries(value)) walk(child, path === '' ? key : `${path}.${key}`);
  };
  walk(tokens, '');
  return out;
}

/**
 * The refusal Elasticsearch gives a document whose field is an object where the data stream's mapping
 * (set by the documents before it) has a concrete value, or the other way round, or whose new fields
 * would take the mapping past `totalFields` (objects count as fields); `undefined` when the document
 * fits, whose new fields then join the mapping.
 */
function mappingConflict(
  mapping: Map<string, FieldKind>,
  doc: Record<string, unknown>,
  totalFields: number,
): string | undefined {
  const kinds: [string, FieldKind][] = [];
  fieldKinds(doc, '', kinds);
  const seen = new Map(mapping);
  for (const [path, kind] of kinds) {
    const known = seen.get(path);
    if (known !== undefined && known !== kind) {
      return kind === 'value'
        ? `object mapping for [${path}] tried to parse field [${path}] as object, but found a concrete value`
        : `can't merge a non object mapping [${path}] with an object mapping`;
    }
    seen.set(path, kind);
  }
  if (seen.size > totalFields) {
    return `failed to parse: Limit of total fields [${totalFields}] has been exceeded while adding new fields [${seen.size - mapping.size}]`;
  }
  for (const [path, kind] of seen) mapping.set(path, kind);
  return undefined;
}

/** Validates a data stream name as Elasticsearch and the stock templates would. */
export function dataStreamError(index: string | undefined): string | undefined {
  if (index === undefined) return 'no _index';
  if (INDEX_FORBIDDEN.test(index)) return `invalid index name [${index}]`;
  const m = /^(logs|metrics)-([^-]+)-([^-]+)$/.exec(index);
  if (!m) return `no matching index template found for data stream [${index}]`;
  if ((m[2] as string).length > 100 || (m[3] as string).length > 100) return 'dataset or namespace too long';
  return undefined;
}

/**
 * A loopback server speaking the Elasticsearch `_bulk` API as documented: NDJSON with a newline after
 * every line, `create` actions into `logs-*-*`/`metrics-*-*` data streams, gzip bodies, 401 on bad
 * credentials, 413 above `http.max_content_length`, per-item results in request order with
 * `errors: true` (400 for a document with a metadata field such as `_id` at its root, a field whose
 * name is empty, a field that is an object where earlier documents of its data stream made it a value, or the other way
 * round, as dynamic mapping refuses, or new fields past the data stream's total fields limit), `filter_path`,
 * and an OTLP `/v1/traces` endpoint (APM Server). Answers can be scripted per request or per document.
 */
export class EsIntake {
  readonly requests: EsRequest[] = [];
  /** Documents created, by data stream. */
  readonly streams = new Map<string, Record<string, unknown>[]>();
  private readonly scripts: EsReply[] = [];
  private itemRule: ItemRule | undefined;
  private readonly attempts = new Map<string, number>();
  /** Each data stream's dynamic mapping: the kind of every field its documents have set. */
  private readonly mappings = new Map<string, Map<string, FieldKind>>();
  /** Each data stream's numeric fields, typed by the first document that had them. */
  private readonly numericTypes = new Map<string, Map<string, 'long' | 'float'>>();
  /** Numbers as aggregations read them (doc values), by data stream and field. */
  private readonly numbers = new Map<string, Map<string, number[]>>();
  private waiters: { n: number; resolve: () => void }[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly port: number,
    private readonly options: EsIntakeOptions,
  ) {}

  static async start(options: EsIntakeOptions): Promise<EsIntake> {
    let intake: EsIntake | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        intake?.handle(req.method ?? '', req.url ?? '/', req.headers, Buffer.concat(chunks), res),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    const port = (server.address() as AddressInfo).port;
    intake = new EsIntake(server, `http://127.0.0.1:${port}`, port, options);
    return intake;
  }

  /** Queues whole-request answers for the next `_bulk` requests, in order. */
  script(...replies: EsReply[]): void {
    this.scripts.push(...replies);
  }

  /** Sets the per-document answer rule; `attempt` counts how often the same document was seen (1-based). */
  setItemRule(rule: ItemRule | undefined): void {
    this.itemRule = rule;
  }

  setMaxContentLength(bytes: number): void {
    this.options.maxContentLength = bytes;
  }

  /** Bulk requests, in arrival order. */
  bulk(): EsRequest[] {
    return this.requests.filter((r) => r.kind === 'bulk');
  }

  docs(stream: string): Record<string, unknown>[] {
    return this.streams.get(stream) ?? [];
  }

  /**
   * A field's values in the documents created, as a sum or an average in Kibana reads them: where the
   * field's first document wrote a whole number (`3`), the field is a `long`, and Elasticsearch cuts
   * the fractions of later values (`2.5` is `2`).
   */
  docValues(stream: string, field: string): number[] {
    return this.numbers.get(stream)?.get(field) ?? [];
  }

  private indexNumbers(stream: string, source: string): void {
    const types = this.numericTypes.get(stream) ?? new Map<string, 'long' | 'float'>();
    this.numericTypes.set(stream, types);
    const values = this.numbers.get(stream) ?? new Map<string, number[]>();
    this.numbers.set(stream, values);
    for (const [path, n] of numberFields(source)) {
      const type = types.get(path) ?? (n.integral ? 'long' : 'float');
      types.set(path, type);
      const list = values.get(path) ?? [];
      list.push(type === 'long' ? Math.trunc(n.value) : n.value);
      values.set(path, list);
    }
  }

  /** Resolves once `n` bulk requests have arrived. */
  waitForBulk(n: number): Promise<void> {
    if (this.bulk().length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(
    method: string,
    rawUrl: string,
    headers: IncomingHttpHeaders,
    wire: Buffer,
    res: import('node:http').ServerResponse,
  ): unknown {
    const url = new URL(rawUrl, 'http://intake');
    const kind = /(^|\/)_bulk$/.test(url.pathname)
      ? 'bulk'
      : url.pathname === '/v1/traces'
        ? 'traces'
        : 'other';
    let body = wire;
    let gunzipFailed = false;
    if ((headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
      try {
        body = gunzipSync(wire);
      } catch {
        gunzipFailed = true;
      }
    }
    const record: EsRequest = {
      kind,
      method,
      path: url.pathname,
      query: url.searchParams,
      headers,
      wire,
      body,
      ops: [],
      status: 0,
      itemStatuses: [],
      at: Date.now(),
    };
    this.requests.push(record);
    const bulkCount = this.bulk().length;
    for (const w of this.waiters.filter((w) => bulkCount >= w.n)) w.resolve();
    this.waiters = this.waiters.filter((w) => bulkCount < w.n);

    const answer = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...extra });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    const esError = (status: number, type: string, reason: string) =>
      answer(status, { error: { root_cause: [{ type, reason }], type, reason }, status });

    if (kind === 'other') return esError(404, 'resource_not_found_exception', 'no handler');
    if (method !== 'POST' && method !== 'PUT') return esError(405, 'method_not_allowed', 'use POST');
    if (headers.authorization !== this.options.authorization) {
      return answer(
        401,
        {
          error: { type: 'security_exception', reason: 'unable to authenticate with provided credentials' },
          status: 401,
        },
        { 'www-authenticate': 'ApiKey, Basic realm="security"' },
      );
    }
    const contentType = String(headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim();
    const text = body.toString('utf8');
    let malformed = false;
    if (kind === 'bulk' && !gunzipFailed) {
      try {
        const lines = text.replace(/\n$/, '').split('\n');
        for (let i = 0; i < lines.length; i += 2) {
          const actionLine = JSON.parse(lines[i] as string) as Record<string, { _index?: string }>;
          const action = Object.keys(actionLine)[0] as string;
          if (lines[i + 1] === undefined) throw new Error('action without source');
          const source = lines[i + 1] as string;
          const doc = JSON.parse(source) as Record<string, unknown>;
          record.ops.push({ action, index: actionLine[action]?._index, doc, source });
        }
      } catch {
        malformed = true;
      }
    }
    const target = record.ops[0]?.index;
    const at =
      kind === 'bulk' ? this.scripts.findIndex((r) => r.stream === undefined || r.stream === target) : -1;
    const scripted = at >= 0 ? this.scripts.splice(at, 1)[0] : undefined;
    if (scripted?.drop) {
      record.status = -1;
      res.socket?.destroy();
      return;
    }
    if (scripted && scripted.lateMs === undefined)
      return answer(scripted.status, scripted.body ?? {}, scripted.headers);
    if (body.byteLength > (this.options.maxContentLength ?? 100 * 1024 * 1024)) {
      return answer(413, '');
    }
    if (gunzipFailed) return esError(400, 'parse_exception', 'invalid gzip body');
    if (kind === 'traces') {
      record.status = 200;
      res.writeHead(200, { 'content-type': String(headers['content-type'] ?? 'application/x-protobuf') });
      return res.end(String(headers['content-type']).includes('json') ? '{}' : undefined);
    }

    if (contentType !== 'application/x-ndjson' && contentType !== 'application/json') {
      return esError(
        406,
        'media_type_header_exception',
        `Content-Type header [${contentType}] is not supported`,
      );
    }
    if (!text.endsWith('\n')) {
      return esError(
        400,
        'illegal_argument_exception',
        'The bulk request must be terminated by a newline [\\n]',
      );
    }
    if (malformed) return esError(400, 'x_content_parse_exception', 'malformed action/metadata line');

    const items = record.ops.map((op) => {
      const fingerprint = JSON.stringify(op.doc);
      const attempt = (this.attempts.get(fingerprint) ?? 0) + 1;
      this.attempts.set(fingerprint, attempt);
      let failure: { status: number; type: string; reason: string } | undefined;
      const bad = dataStreamError(op.index);
      const unparsable = metadataFieldError(op.doc) ?? emptyFieldNameError(op.doc);
      if (op.action !== 'create') {
        failure = {
          status: 400,
          type: 'illegal_argument_exception',
          reason: 'only write ops with an op_type of create are allowed in data streams',
        };
      } else if (bad !== undefined) {
        failure = { status: 400, type: 'invalid_index_name_exception', reason: bad };
      } else if (unparsable !== undefined) {
        failure = { status: 400, type: 'mapper_parsing_exception', reason: unparsable };
      } else {
        failure = this.itemRule?.(op, attempt);
      }
      if (failure === undefined) {
        const index = op.index as string;
        const mapping =
          this.mappings.get(index) ??
          new Map<string, FieldKind>(
            this.options.ecsTemplate ? ECS_OBJECTS.map((name) => [name, 'object'] as const) : [],
          );
        this.mappings.set(index, mapping);
        const conflict = mappingConflict(mapping, op.doc, this.options.totalFieldsLimit ?? 1000);
        if (conflict !== undefined)
          failure = { status: 400, type: 'document_parsing_exception', reason: `[1:2] ${conflict}` };
      }
      const status = failure?.status ?? 201;
      record.itemStatuses.push(status);
      if (failure === undefined) {
        const docs = this.streams.get(op.index as string) ?? [];
        docs.push(op.doc);
        this.indexNumbers(op.index as string, op.source);
        this.streams.set(op.index as string, docs);
        return {
          [op.action]: {
            _index: `.ds-${op.index}-2024.05.01-000001`,
            _id: randomUUID(),
            _version: 1,
            result: 'created',
            _shards: { total: 2, successful: 1, failed: 0 },
            _seq_no: 0,
            _primary_term: 1,
            status,
          },
        };
      }
      return {
        [op.action]: {
          _index: op.index,
          _id: randomUUID(),
          status,
          error: { type: failure.type, reason: failure.reason, index: op.index },
        },
      };
    });
    const full = { took: 3, errors: items.some((i) => Object.values(i)[0]?.error !== undefined), items };
    const filter = url.searchParams.get('filter_path');
    const reply = () => answer(200, filter ? filterPath(full, filter) : full);
    // The client may have gone by then: its socket is closed, and there is no one to answer.
    if (scripted?.lateMs !== undefined) setTimeout(() => res.destroyed || reply(), scripted.lateMs);
    else reply();
  }
}

/** Elasticsearch's `filter_path`: keeps only the listed dotted paths (`*` matches any key; arrays are transparent). */
export function filterPath(value: unknown, filter: string): unknown {
  const patterns = filter.split(',').map((p) => p.trim().split('.'));
  return apply(value, patterns);
}

function apply(value: unknown, patterns: string[][]): unknown {
  if (Array.isArray(value)) return value.map((v) => apply(v, patterns));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const matching = patterns.filter((p) => p[0] === '*' || p[0] === key);
    if (matching.length === 0) continue;
    if (matching.some((p) => p.length === 1)) {
      out[key] = child;
      continue;
    }
    const filtered = apply(
      child,
      matching.map((p) => p.slice(1)),
    );
    if (typeof filtered === 'object' && filtered !== null && Object.keys(filtered).length === 0) continue;
    out[key] = filtered;
  }
  return out;
}

/** Asserts produced = delivered + sum(dropped) + queued. */
export function identityHolds(s: {
  produced: number;
  delivered: number;
  queued: number;
  dropped: Partial<Record<string, number>>;
}): boolean {
  const dropped = Object.values(s.dropped).reduce<number>((a, b) => a + (b ?? 0), 0);
  return s.produced === s.delivered + dropped + s.queued;
}
