import type { Attributes, HrTime } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';

/**
 * A protobuf writer for the OTLP encoders, in one pass over a reused scratch buffer. It writes the
 * same bytes as `@opentelemetry/otlp-transformer`'s serializers (same fields, same order, same
 * value rules), which estimate the size in a first pass and allocate every id on the way; here a
 * batch costs one copy of its bytes. Attribute keys repeat from item to item, so their encoded
 * form is kept (a bounded table).
 */
export class ProtoWriter {
  buf: Uint8Array;
  pos = 0;
  private view: DataView;

  constructor(size = 64 * 1024) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  /** Starts a new message, keeping the buffer grown by earlier ones. */
  reset(): void {
    this.pos = 0;
  }

  /** A copy of what was written: the scratch buffer is reused by the next message. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** A tag or any other value below 2^32. */
  uint32(value: number): void {
    this.ensure(5);
    let v = value >>> 0;
    const buf = this.buf;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  /** An int64 varint (negative numbers take ten bytes, as protobuf says). */
  int64(value: number): void {
    if (value >= 0 && value <= 0xffffffff) {
      this.uint32(value);
      return;
    }
    this.ensure(10);
    let low: number;
    let high: number;
    const abs = Math.abs(value);
    low = abs >>> 0;
    high = (abs / 0x100000000) >>> 0;
    if (value < 0) {
      low = ~low >>> 0;
      high = ~high >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    const buf = this.buf;
    while (high > 0 || low > 0x7f) {
      buf[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low & 0x7f;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, low >>> 0, true);
    this.view.setUint32(this.pos + 4, high >>> 0, true);
    this.pos += 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** Nanoseconds since the epoch as fixed64, computed without losing bits beyond 2^53. */
  hrTime(time: HrTime): void {
    const seconds = time[0];
    const nanos = time[1];
    const lower = (seconds & 0xffff) * 1e9;
    const upper = ((seconds / 0x10000) >>> 0) * 1e9;
    const low = (lower >>> 0) + (((upper & 0xffff) * 0x10000) >>> 0) + nanos;
    const high = Math.floor(lower / 0x100000000) + ((upper / 0x10000) >>> 0) + Math.floor(low / 0x100000000);
    this.fixed64(low >>> 0, high >>> 0);
  }

  /** A length-prefixed UTF-8 string. */
  string(str: string): void {
    const len = str.length;
    this.ensure(len * 3 + 5);
    const buf = this.buf;
    // ASCII is the common case: write it while checking, and start over for anything else.
    const start = this.pos;
    if (len < 128) {
      let p = start + 1;
      for (let i = 0; i < len; i++) {
        const c = str.charCodeAt(i);
        if (c > 127) {
          this.utf8(str);
          return;
        }
        buf[p++] = c;
      }
      buf[start] = len;
      this.pos = p;
      return;
    }
    for (let i = 0; i < len; i++) {
      if (str.charCodeAt(i) > 127) {
        this.utf8(str);
        return;
      }
    }
    this.uint32(len);
    let p = this.pos;
    for (let i = 0; i < len; i++) buf[p++] = str.charCodeAt(i);
    this.pos = p;
  }

  private utf8(str: string): void {
    const bytes = encoder.encode(str);
    this.bytes(bytes);
  }

  bytes(bytes: Uint8Array): void {
    this.uint32(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** `hex` (trace or span id, lowercase or uppercase) as a bytes field of its binary value. */
  hexBytes(hex: string): void {
    const n = hex.length >>> 1;
    this.ensure(n + 5);
    this.uint32(n);
    const buf = this.buf;
    for (let i = 0; i < n; i++) {
      buf[this.pos++] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
    }
  }

  /** Reserves one length byte for a nested message; pass the result to {@link end}. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Writes the length of the message begun at `at`, moving its bytes when it needs more than one. */
  end(at: number): void {
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return;
    }
    const size = len < 0x4000 ? 2 : len < 0x200000 ? 3 : len < 0x10000000 ? 4 : 5;
    this.ensure(size - 1);
    const buf = this.buf;
    buf.copyWithin(at + size, at + 1, this.pos);
    this.pos += size - 1;
    let v = len;
    let p = at;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
  }

  /**
   * The `KeyValue` message of a short ASCII string or a small non-negative integer (most of an HTTP
   * span's attributes), whose lengths are known before it is written, in one pass: the bytes
   * {@link writeAttributes}' general path writes, without its nested length fix-ups (a span's
   * share of the batch it is sent in costs about a sixth less). `tag` is one byte. False, having
   * written nothing, for any other value.
   */
  shortKeyValue(tag: number, key: Uint8Array, value: unknown): boolean {
    const k = key.length;
    if (typeof value === 'string') {
      const len = value.length;
      // key, AnyValue tag and length, string_value tag and length, the characters: one length byte each.
      const size = k + 4 + len;
      if (size > 0x7f) return false;
      this.ensure(size + 2);
      const buf = this.buf;
      let p = this.pos + 2;
      for (let i = 0; i < len; i++) {
        const c = value.charCodeAt(i);
        if (c > 0x7f) return false;
        buf[p + k + 4 + i] = c;
      }
      for (let i = 0; i < k; i++) buf[p++] = key[i]!;
      buf[p++] = 0x12;
      buf[p++] = len + 2;
      buf[p++] = 0x0a;
      buf[p] = len;
      buf[this.pos] = tag;
      buf[this.pos + 1] = size;
      this.pos += size + 2;
      return true;
    }
    if (typeof value === 'number' && value >= 0 && value < 0x4000 && Number.isInteger(value)) {
      const bytes = value < 0x80 ? 1 : 2;
      const size = k + 3 + bytes;
      if (size > 0x7f) return false;
      this.ensure(size + 2);
      const buf = this.buf;
      let p = this.pos;
      buf[p++] = tag;
      buf[p++] = size;
      for (let i = 0; i < k; i++) buf[p++] = key[i]!;
      buf[p++] = 0x12;
      buf[p++] = bytes + 1;
      buf[p++] = 3 << 3;
      if (bytes === 1) buf[p++] = value;
      else {
        buf[p++] = (value & 0x7f) | 0x80;
        buf[p++] = value >>> 7;
      }
      this.pos = p;
      return true;
    }
    return false;
  }

  /** Raw bytes, already encoded. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}

const encoder = new TextEncoder();

// '0'-'9', 'a'-'f', 'A'-'F'; anything else reads as the otlp-transformer's converter reads it.
function nibbleOf(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return c - 55;
}

// Random ids mix digits and letters, so the comparisons above mispredict on about every other
// character: read from a table, an id costs about a third of what it did.
const NIBBLES = Int8Array.from({ length: 128 }, (_, c) => nibbleOf(c));

function nibble(c: number): number {
  return c < 128 ? NIBBLES[c]! : nibbleOf(c);
}

/** Tag byte of a length-delimited field below 16. */
export const ld = (field: number): number => (field << 3) | 2;

// Encoded `KeyValue.key` fields (tag, length, bytes) by key: keys repeat, values mostly do not.
const keyCache = new Map<string, Uint8Array>();
const KEY_CACHE_MAX = 1024;
const scratch = new ProtoWriter(256);

function keyField(key: string): Uint8Array {
  let encoded = keyCache.get(key);
  if (encoded === undefined) {
    scratch.reset();
    scratch.uint32(ld(1));
    scratch.string(key);
    encoded = scratch.finish();
    if (keyCache.size < KEY_CACHE_MAX) keyCache.set(key, encoded);
  }
  return encoded;
}

/** Each own property as a repeated `KeyValue` in field `field`. */
export function writeAttributes(
  w: ProtoWriter,
  attributes: Readonly<Record<string, unknown>>,
  field: number,
): void {
  const tag = ld(field);
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const encodedKey = keyField(key);
    const value = attributes[key];
    if (w.shortKeyValue(tag, encodedKey, value)) continue;
    w.uint32(tag);
    const kv = w.begin();
    w.raw(encodedKey);
    w.uint32(ld(2));
    const at = w.begin();
    writeAnyValue(w, value);
    w.end(at);
    w.end(kv);
  }
}

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** An `AnyValue` body; null and undefined leave it empty, as the OpenTelemetry serializer does. */
export function writeAnyValue(w: ProtoWriter, value: unknown): void {
  const t = typeof value;
  if (t === 'string') {
    w.uint32(ld(1));
    w.string(value as string);
  } else if (t === 'boolean') {
    w.uint32(2 << 3);
    w.uint32(value ? 1 : 0);
  } else if (t === 'number') {
    const n = value as number;
    if (Number.isInteger(n) && n >= MIN_INT64 && n < MAX_INT64) {
      w.uint32(3 << 3);
      w.int64(n);
    } else {
      w.uint32((4 << 3) | 1);
      w.double(n);
    }
  } else if (value instanceof Uint8Array) {
    w.uint32(ld(7));
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.uint32(ld(5));
    const list = w.begin();
    for (const item of value) {
      w.uint32(ld(1));
      const at = w.begin();
      writeAnyValue(w, item);
      w.end(at);
    }
    w.end(list);
  } else if (t === 'object' && value !== null) {
    w.uint32(ld(6));
    const list = w.begin();
    const obj = value as Record<string, unknown>;
    for (const k in obj) {
      if (!Object.hasOwn(obj, k)) continue;
      w.uint32(ld(1));
      const kv = w.begin();
      w.uint32(ld(1));
      w.string(k);
      w.uint32(ld(2));
      const at = w.begin();
      writeAnyValue(w, obj[k]);
      w.end(at);
      w.end(kv);
    }
    w.end(list);
  }
}

/** An `InstrumentationScope` message in field `field`. */
export function writeScope(w: ProtoWriter, scope: InstrumentationScope, field: number): void {
  w.uint32(ld(field));
  const at = w.begin();
  w.uint32(ld(1));
  w.string(scope.name);
  if (scope.version) {
    w.uint32(ld(2));
    w.string(scope.version);
  }
  const attributes = (scope as { attributes?: Attributes }).attributes;
  if (attributes) writeAttributes(w, attributes, 3);
  const dropped = (scope as { droppedAttributesCount?: number }).droppedAttributesCount;
  if (dropped) {
    w.uint32(4 << 3);
    w.uint32(dropped);
  }
  w.end(at);
}

/** A `Resource` message in field `field` (its attributes, and a zero dropped count). */
export function writeResource(w: ProtoWriter, resource: Resource, field: number): void {
  w.uint32(ld(field));
  const at = w.begin();
  if (resource.attributes) writeAttributes(w, resource.attributes, 1);
  w.uint32(2 << 3);
  w.uint32(0);
  w.end(at);
}

/**
 * Groups items by resource, then by scope, by identity and in order of first appearance: the
 * OpenTelemetry serializers group the same way, so the requests match theirs.
 */
export function groupByOrigin<T>(
  items: readonly T[],
  resourceOf: (item: T) => Resource,
  scopeOf: (item: T) => InstrumentationScope,
): Map<Resource, Map<InstrumentationScope, T[]>> {
  const byResource = new Map<Resource, Map<InstrumentationScope, T[]>>();
  for (const item of items) {
    const resource = resourceOf(item);
    let byScope = byResource.get(resource);
    if (byScope === undefined) {
      byScope = new Map();
      byResource.set(resource, byScope);
    }
    const scope = scopeOf(item);
    let list = byScope.get(scope);
    if (list === undefined) {
      list = [];
      byScope.set(scope, list);
    }
    list.push(item);
  }
  return byResource;
}
