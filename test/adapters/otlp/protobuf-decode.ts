/**
 * A small schema-directed protobuf decoder for OTLP requests, written from the opentelemetry-proto
 * field numbers, so tests can read what went on the wire (the transformer only decodes responses).
 * It produces the proto3-JSON shape the OTLP JSON encoding uses: lowerCamelCase keys, hex ids,
 * 64-bit timestamps as decimal strings.
 */
type FieldType =
  | 'string'
  | 'hex'
  | 'base64'
  | 'varint'
  | 'int64'
  | 'bool'
  | 'double'
  | 'fixed32'
  | 'time'
  | 'fixed64num'
  | Schema;

interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly repeated?: boolean;
}
interface Schema {
  readonly [field: number]: Field;
}

const anyValue: Schema = {};
const keyValue: Schema = { 1: { name: 'key', type: 'string' }, 2: { name: 'value', type: anyValue } };
Object.assign(anyValue, {
  1: { name: 'stringValue', type: 'string' },
  2: { name: 'boolValue', type: 'bool' },
  3: { name: 'intValue', type: 'int64' },
  4: { name: 'doubleValue', type: 'double' },
  5: { name: 'arrayValue', type: { 1: { name: 'values', type: anyValue, repeated: true } } },
  6: { name: 'kvlistValue', type: { 1: { name: 'values', type: keyValue, repeated: true } } },
  7: { name: 'bytesValue', type: 'base64' },
});
const attributes = (n: number): Record<number, Field> => ({
  [n]: { name: 'attributes', type: keyValue, repeated: true },
});
const resource: Schema = { ...attributes(1), 2: { name: 'droppedAttributesCount', type: 'varint' } };
const scope: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'version', type: 'string' },
  ...attributes(3),
  4: { name: 'droppedAttributesCount', type: 'varint' },
};

const span: Schema = {
  1: { name: 'traceId', type: 'hex' },
  2: { name: 'spanId', type: 'hex' },
  3: { name: 'traceState', type: 'string' },
  4: { name: 'parentSpanId', type: 'hex' },
  5: { name: 'name', type: 'string' },
  6: { name: 'kind', type: 'varint' },
  7: { name: 'startTimeUnixNano', type: 'time' },
  8: { name: 'endTimeUnixNano', type: 'time' },
  ...attributes(9),
  10: { name: 'droppedAttributesCount', type: 'varint' },
  11: {
    name: 'events',
    repeated: true,
    type: {
      1: { name: 'timeUnixNano', type: 'time' },
      2: { name: 'name', type: 'string' },
      ...attributes(3),
      4: { name: 'droppedAttributesCount', type: 'varint' },
    },
  },
  12: { name: 'droppedEventsCount', type: 'varint' },
  13: {
    name: 'links',
    repeated: true,
    type: {
      1: { name: 'traceId', type: 'hex' },
      2: { name: 'spanId', type: 'hex' },
      3: { name: 'traceState', type: 'string' },
      ...attributes(4),
      5: { name: 'droppedAttributesCount', type: 'varint' },
      6: { name: 'flags', type: 'fixed32' },
    },
  },
  14: { name: 'droppedLinksCount', type: 'varint' },
  15: {
    name: 'status',
    type: { 2: { name: 'message', type: 'string' }, 3: { name: 'code', type: 'varint' } },
  },
  16: { name: 'flags', type: 'fixed32' },
};

const numberPoint: Schema = {
  ...attributes(7),
  2: { name: 'startTimeUnixNano', type: 'time' },
  3: { name: 'timeUnixNano', type: 'time' },
  4: { name: 'asDouble', type: 'double' },
  6: { name: 'asInt', type: 'fixed64num' },
  8: { name: 'flags', type: 'varint' },
};
const histogramPoint: Schema = {
  ...attributes(9),
  2: { name: 'startTimeUnixNano', type: 'time' },
  3: { name: 'timeUnixNano', type: 'time' },
  4: { name: 'count', type: 'fixed64num' },
  5: { name: 'sum', type: 'double' },
  6: { name: 'bucketCounts', type: 'fixed64num', repeated: true },
  7: { name: 'explicitBounds', type: 'double', repeated: true },
  10: { name: 'flags', type: 'varint' },
  11: { name: 'min', type: 'double' },
  12: { name: 'max', type: 'double' },
};
const metric: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'description', type: 'string' },
  3: { name: 'unit', type: 'string' },
  5: { name: 'gauge', type: { 1: { name: 'dataPoints', type: numberPoint, repeated: true } } },
  7: {
    name: 'sum',
    type: {
      1: { name: 'dataPoints', type: numberPoint, repeated: true },
      2: { name: 'aggregationTemporality', type: 'varint' },
      3: { name: 'isMonotonic', type: 'bool' },
    },
  },
  9: {
    name: 'histogram',
    type: {
      1: { name: 'dataPoints', type: histogramPoint, repeated: true },
      2: { name: 'aggregationTemporality', type: 'varint' },
    },
  },
};

const logRecord: Schema = {
  1: { name: 'timeUnixNano', type: 'time' },
  11: { name: 'observedTimeUnixNano', type: 'time' },
  2: { name: 'severityNumber', type: 'varint' },
  3: { name: 'severityText', type: 'string' },
  5: { name: 'body', type: anyValue },
  ...attributes(6),
  7: { name: 'droppedAttributesCount', type: 'varint' },
  8: { name: 'flags', type: 'fixed32' },
  9: { name: 'traceId', type: 'hex' },
  10: { name: 'spanId', type: 'hex' },
  12: { name: 'eventName', type: 'string' },
};

function envelope(outer: string, inner: string, item: string, itemSchema: Schema): Schema {
  return {
    1: {
      name: outer,
      repeated: true,
      type: {
        1: { name: 'resource', type: resource },
        2: {
          name: inner,
          repeated: true,
          type: {
            1: { name: 'scope', type: scope },
            2: { name: item, type: itemSchema, repeated: true },
            3: { name: 'schemaUrl', type: 'string' },
          },
        },
        3: { name: 'schemaUrl', type: 'string' },
      },
    },
  };
}

export const TRACES_REQUEST = envelope('resourceSpans', 'scopeSpans', 'spans', span);
export const METRICS_REQUEST = envelope('resourceMetrics', 'scopeMetrics', 'metrics', metric);
export const LOGS_REQUEST = envelope('resourceLogs', 'scopeLogs', 'logRecords', logRecord);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function scalar(type: Exclude<FieldType, Schema>, wire: number, r: Reader): unknown {
  switch (type) {
    case 'string':
      return r.bytes(Number(r.varint())).toString('utf8');
    case 'hex':
      return r.bytes(Number(r.varint())).toString('hex');
    case 'base64':
      return r.bytes(Number(r.varint())).toString('base64');
    case 'varint':
      return Number(r.varint());
    case 'int64': {
      const v = BigInt.asIntN(64, r.varint());
      return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    }
    case 'bool':
      return r.varint() !== 0n;
    case 'double':
      return r.bytes(8).readDoubleLE(0);
    case 'fixed32':
      return r.bytes(4).readUInt32LE(0);
    case 'time':
      return r.bytes(8).readBigUInt64LE(0).toString();
    case 'fixed64num': {
      const v = r.bytes(8).readBigInt64LE(0);
      if (wire !== 1) throw new Error('fixed64 expected');
      return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    }
  }
}

const FIXED_SIZE: Partial<Record<string, number>> = { double: 8, fixed64num: 8, time: 8, fixed32: 4 };

/** Decodes one message with `schema`; unknown fields are an error, so a schema mismatch cannot pass silently. */
export function decodeProtobuf(buf: Buffer, schema: Schema): Record<string, unknown> {
  const r = new Reader(buf);
  const out: Record<string, unknown> = {};
  while (!r.done) {
    const tag = Number(r.varint());
    const fieldNo = tag >>> 3;
    const wire = tag & 7;
    const field = schema[fieldNo];
    if (field === undefined) throw new Error(`unknown field ${fieldNo} (wire type ${wire})`);
    const push = (v: unknown) => {
      if (!field.repeated) {
        out[field.name] = v;
        return;
      }
      const list = (out[field.name] as unknown[] | undefined) ?? [];
      list.push(v);
      out[field.name] = list;
    };
    if (typeof field.type === 'object') {
      push(decodeProtobuf(r.bytes(Number(r.varint())), field.type));
    } else if (field.repeated && wire === 2 && FIXED_SIZE[field.type] !== undefined) {
      // Packed repeated scalars (bucketCounts, explicitBounds).
      const packed = new Reader(r.bytes(Number(r.varint())));
      const n = packed.buf.length / (FIXED_SIZE[field.type] as number);
      for (let i = 0; i < n; i++) push(scalar(field.type, FIXED_SIZE[field.type] === 8 ? 1 : 5, packed));
    } else {
      push(scalar(field.type, wire, r));
    }
  }
  return out;
}

/**
 * Brings a decoded protobuf message and an OTLP JSON body to one comparable form: proto3 default
 * values (0, '', false, empty lists and messages) are left out, since protobuf does not write them
 * and JSON writes some, and 64-bit counters are plain numbers on both sides.
 */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = canonical((value as Record<string, unknown>)[key]);
      if (v === undefined || v === null || v === 0 || v === '' || v === false) continue;
      if (Array.isArray(v) && v.length === 0) continue;
      if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) continue;
      out[key] = v;
    }
    return out;
  }
  if (typeof value === 'string' && /^\d+$/.test(value) && value.length < 16) return Number(value);
  return value;
}
