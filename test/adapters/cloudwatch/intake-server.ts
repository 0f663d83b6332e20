import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { STANDARD_UNITS } from './standard-units.js';

/**
 * A loopback stand-in for the two AWS services api mode calls, speaking the protocols the installed
 * SDK clients use: CloudWatch over AWS JSON 1.0 with query compatibility
 * (`X-Amz-Target: GraniteServiceVersion20100801.PutMetricData`, errors as `__type` plus the
 * `x-amzn-query-error` header) and CloudWatch Logs over AWS JSON 1.1
 * (`X-Amz-Target: Logs_20140328.PutLogEvents`). It enforces the documented request limits, refuses
 * log events over 2 hours ahead or 14 days old one by one in `rejectedLogEventsInfo`, and answers
 * with the services' error shapes; tests script extra answers per operation.
 */

export interface RecordedRequest {
  readonly operation: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: any;
  readonly rawBytes: number;
}

export interface ScriptedAnswer {
  readonly status: number;
  /** AWS error type for the `__type` member; omit for a success body. */
  readonly type?: string;
  /** `x-amzn-query-error` code for CloudWatch's query-compatible errors. */
  readonly queryCode?: string;
  readonly body?: Record<string, unknown>;
  /** Destroy the socket instead of answering. */
  readonly drop?: boolean;
}

const LOGS_PREFIX = 'Logs_20140328.';
const CW_PREFIX = 'GraniteServiceVersion20100801.';

export interface AwsIntake {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Answers used (first in, first out) before the normal handling of an operation. */
  script(operation: string, ...answers: ScriptedAnswer[]): void;
  /** Log groups/streams that exist; PutLogEvents to anything else is ResourceNotFoundException. */
  readonly streams: Set<string>;
  /** Operations the caller's IAM policy does not allow: answered with AccessDeniedException. */
  readonly denied: Set<string>;
  /** Every event accepted by PutLogEvents, per `group:stream`. */
  readonly stored: Map<string, { timestamp: number; message: string }[]>;
  close(): Promise<void>;
}

function ok(res: ServerResponse, contentType: string, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': contentType, 'x-amzn-requestid': 'req-1' });
  res.end(text);
}

function error(res: ServerResponse, contentType: string, answer: ScriptedAnswer): void {
  const headers: Record<string, string> = { 'content-type': contentType, 'x-amzn-requestid': 'req-1' };
  if (answer.queryCode) headers['x-amzn-query-error'] = answer.queryCode;
  res.writeHead(answer.status, headers);
  res.end(
    JSON.stringify({ __type: answer.type, message: `${answer.type} from the test intake`, ...answer.body }),
  );
}

export async function startAwsIntake(port = 0): Promise<AwsIntake> {
  const requests: RecordedRequest[] = [];
  const scripts = new Map<string, ScriptedAnswer[]>();
  const streams = new Set<string>();
  const denied = new Set<string>();
  const stored = new Map<string, { timestamp: number; message: string }[]>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const target = String(req.headers['x-amz-target'] ?? '');
      const isLogs = target.startsWith(LOGS_PREFIX);
      const operation = target.slice(isLogs ? LOGS_PREFIX.length : CW_PREFIX.length);
      const contentType = isLogs ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0';
      let body: any;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return error(res, contentType, { status: 400, type: 'SerializationException' });
      }
      requests.push({ operation, headers: req.headers, body, rawBytes: raw.byteLength });
      const answer = scripts.get(operation)?.shift();
      if (answer?.drop) {
        req.socket.destroy();
        return;
      }
      if (answer) {
        if (answer.status >= 300) return error(res, contentType, answer);
        return ok(res, contentType, answer.body ?? {});
      }
      if (denied.has(operation))
        return error(res, contentType, { status: 400, type: 'AccessDeniedException' });
      if (!isLogs && !target.startsWith(CW_PREFIX)) {
        return error(res, contentType, { status: 400, type: 'UnknownOperationException' });
      }
      if (isLogs) return handleLogs(operation, body, res, contentType);
      if (operation === 'PutMetricData') return handlePutMetricData(body, raw.byteLength, res, contentType);
      return error(res, contentType, { status: 400, type: 'UnknownOperationException' });
    });
  });

  function invalidMetric(res: ServerResponse, contentType: string, why: string) {
    error(res, contentType, {
      status: 400,
      type: 'InvalidParameterValueException',
      queryCode: 'InvalidParameterValue;Sender',
      body: { message: why },
    });
  }

  function handlePutMetricData(body: any, bytes: number, res: ServerResponse, contentType: string) {
    const data: any[] = body.MetricData ?? [];
    if (typeof body.Namespace !== 'string' || body.Namespace.startsWith('AWS/'))
      return invalidMetric(res, contentType, 'bad namespace');
    if (data.length < 1 || data.length > 1000) return invalidMetric(res, contentType, 'MetricData 1..1000');
    if (bytes > 1024 * 1024) return invalidMetric(res, contentType, 'request over 1 MB');
    for (const d of data) {
      if (typeof d.MetricName !== 'string' || d.MetricName.length < 1 || d.MetricName.length > 255)
        return invalidMetric(res, contentType, `metric name of ${String(d.MetricName).length} characters`);
      if ((d.Dimensions ?? []).length > 30) return invalidMetric(res, contentType, 'over 30 dimensions');
      for (const { Name, Value } of d.Dimensions ?? []) {
        if (!/^[\x20-\x7e]{1,255}$/.test(Name) || Name.startsWith(':'))
          return invalidMetric(res, contentType, `dimension name ${Name}`);
        if (!/^[\x20-\x7e]{1,1024}$/.test(Value))
          return invalidMetric(res, contentType, `dimension value ${Value}`);
      }
      if ((d.Values ?? []).length > 150) return invalidMetric(res, contentType, 'over 150 values');
      if (d.Values && d.Counts && d.Values.length !== d.Counts.length)
        return invalidMetric(res, contentType, 'Values/Counts length');
      if (d.Value === undefined && d.Values === undefined) return invalidMetric(res, contentType, 'no value');
      // NaN and ±Infinity arrive as strings; numbers beyond ±2^360 are refused too.
      for (const v of d.Value === undefined ? d.Values : [d.Value])
        if (typeof v !== 'number' || Math.abs(v) > 2 ** 360)
          return invalidMetric(res, contentType, `value ${v} outside -2^360..2^360`);
      if (d.Unit !== undefined && !STANDARD_UNITS.includes(d.Unit))
        return invalidMetric(res, contentType, `unit ${d.Unit}`);
      // AWS JSON epoch seconds; the request fails for one datum outside 2 weeks past, 2 hours ahead.
      const at = Number(d.Timestamp) * 1000;
      if (
        d.Timestamp !== undefined &&
        (at < Date.now() - 14 * 24 * 3600 * 1000 || at > Date.now() + 2 * 3600 * 1000)
      )
        return invalidMetric(
          res,
          contentType,
          `timestamp ${d.Timestamp} outside 2 weeks past, 2 hours ahead`,
        );
    }
    ok(res, contentType, {});
  }

  function handleLogs(operation: string, body: any, res: ServerResponse, contentType: string) {
    const key = `${body.logGroupName}:${body.logStreamName}`;
    const invalid = (why: string) =>
      error(res, contentType, { status: 400, type: 'InvalidParameterException', body: { message: why } });
    switch (operation) {
      case 'CreateLogGroup':
        if ([...streams].some((s) => s === body.logGroupName))
          return error(res, contentType, { status: 400, type: 'ResourceAlreadyExistsException' });
        streams.add(body.logGroupName);
        return ok(res, contentType, {});
      case 'CreateLogStream':
        if (!streams.has(body.logGroupName))
          return error(res, contentType, { status: 400, type: 'ResourceNotFoundException' });
        streams.add(key);
        return ok(res, contentType, {});
      case 'PutLogEvents': {
        if (!streams.has(key))
          return error(res, contentType, { status: 400, type: 'ResourceNotFoundException' });
        const events: { timestamp: number; message: string }[] = body.logEvents ?? [];
        if (events.length < 1 || events.length > 10_000) return invalid('logEvents 1..10000');
        let size = 0;
        for (const e of events) size += Buffer.byteLength(e.message, 'utf8') + 26;
        if (size > 1_048_576) return invalid('batch over 1,048,576 bytes');
        for (let i = 1; i < events.length; i++) {
          if (events[i]!.timestamp < events[i - 1]!.timestamp)
            return invalid('Log events in a single PutLogEvents request must be in chronological order.');
        }
        // Events over 2 hours ahead or 14 days old are refused one by one; the rest are stored.
        const now = Date.now();
        let tooOld = 0;
        while (tooOld < events.length && events[tooOld]!.timestamp < now - 14 * 24 * 3600 * 1000) tooOld++;
        let tooNew = tooOld;
        while (tooNew < events.length && events[tooNew]!.timestamp <= now + 2 * 3600 * 1000) tooNew++;
        const valid = events.slice(tooOld, tooNew);
        if (valid.length > 0 && valid[valid.length - 1]!.timestamp - valid[0]!.timestamp > 24 * 3600 * 1000)
          return invalid('batch spans more than 24 hours');
        const list = stored.get(key) ?? [];
        list.push(...valid);
        stored.set(key, list);
        const rejectedLogEventsInfo = {
          ...(tooOld > 0 ? { tooOldLogEventEndIndex: tooOld } : {}),
          ...(tooNew < events.length ? { tooNewLogEventStartIndex: tooNew } : {}),
        };
        return ok(res, contentType, {
          nextSequenceToken: String(list.length),
          ...(valid.length < events.length ? { rejectedLogEventsInfo } : {}),
        });
      }
      default:
        return error(res, contentType, { status: 400, type: 'UnknownOperationException' });
    }
  }

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    streams,
    denied,
    stored,
    script(operation, ...answers) {
      const list = scripts.get(operation) ?? [];
      list.push(...answers);
      scripts.set(operation, list);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
