/**
 * Decodes the MessagePack the Datadog Agent receives from dd-trace on `/v0.4/traces`: an array of
 * traces, each an array of spans. 64-bit integers come back as decimal strings, as Datadog's own
 * log correlation writes trace and span ids.
 */
export type Span = Record<string, unknown> & {
  trace_id: string;
  span_id: string;
  parent_id: string;
  name: string;
  resource: string;
  service: string;
  meta: Record<string, string>;
  metrics: Record<string, number>;
};

export function decodeTraces(body: Buffer): Span[][] {
  return new Reader(body).value() as Span[][];
}

class Reader {
  private at = 0;

  constructor(private readonly b: Buffer) {}

  value(): unknown {
    const t = this.b[this.at++]!;
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 0x100;
    if (t >= 0x80 && t <= 0x8f) return this.map(t & 0x0f);
    if (t >= 0x90 && t <= 0x9f) return this.array(t & 0x0f);
    if (t >= 0xa0 && t <= 0xbf) return this.str(t & 0x1f);
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bytes(this.uint(1));
      case 0xc5:
        return this.bytes(this.uint(2));
      case 0xc6:
        return this.bytes(this.uint(4));
      case 0xca:
        return this.read(4, (o) => this.b.readFloatBE(o));
      case 0xcb:
        return this.read(8, (o) => this.b.readDoubleBE(o));
      case 0xcc:
      case 0xcd:
      case 0xce:
        return this.uint(1 << (t - 0xcc));
      case 0xcf:
        return this.read(8, (o) => this.b.readBigUInt64BE(o).toString());
      case 0xd0:
        return this.read(1, (o) => this.b.readInt8(o));
      case 0xd1:
        return this.read(2, (o) => this.b.readInt16BE(o));
      case 0xd2:
        return this.read(4, (o) => this.b.readInt32BE(o));
      case 0xd3:
        return this.read(8, (o) => this.b.readBigInt64BE(o).toString());
      case 0xd9:
        return this.str(this.uint(1));
      case 0xda:
        return this.str(this.uint(2));
      case 0xdb:
        return this.str(this.uint(4));
      case 0xdc:
        return this.array(this.uint(2));
      case 0xdd:
        return this.array(this.uint(4));
      case 0xde:
        return this.map(this.uint(2));
      case 0xdf:
        return this.map(this.uint(4));
      default:
        throw new Error(`msgpack type 0x${t.toString(16)} at ${this.at - 1} is not one dd-trace sends`);
    }
  }

  private read<T>(size: number, get: (offset: number) => T): T {
    const v = get(this.at);
    this.at += size;
    return v;
  }

  private uint(size: number): number {
    return this.read(size, (o) => this.b.readUIntBE(o, size));
  }

  private bytes(size: number): Buffer {
    return this.read(size, (o) => this.b.subarray(o, o + size));
  }

  private str(size: number): string {
    return this.bytes(size).toString('utf8');
  }

  private array(n: number): unknown[] {
    return Array.from({ length: n }, () => this.value());
  }

  private map(n: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const key = String(this.value());
      out[key] = this.value();
    }
    return out;
  }
}
