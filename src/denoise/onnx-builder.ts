// A minimal writer for ONNX ModelProto (protobuf wire format), enough for fixed-weight graphs.
// Field numbers follow onnx/onnx.proto3.

class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  packedInts(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

export const TensorType = { FLOAT: 1, BOOL: 9, INT64: 7 } as const;

export interface Tensor {
  name: string;
  dims: number[];
  type: (typeof TensorType)[keyof typeof TensorType];
  data: Float32Array | BigInt64Array;
}

export type AttributeValue = number | number[] | { int: number } | { ints: number[] } | { string: string };

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
}

export interface ValueInfo {
  name: string;
  type: Tensor['type'];
  /** A number is a fixed size, a string a symbolic one. */
  shape: (number | string)[];
}

export interface Graph {
  name: string;
  nodes: Node[];
  initializers: Tensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

function writeTensor(w: ProtoWriter, t: Tensor): void {
  w.packedInts(1, t.dims).int(2, t.type).string(8, t.name);
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function writeAttribute(w: ProtoWriter, name: string, value: AttributeValue): void {
  w.string(1, name);
  if (typeof value === 'number') w.float(2, value).int(20, AttrType.FLOAT);
  else if (Array.isArray(value)) {
    for (const f of value) w.float(7, f);
    w.int(20, AttrType.FLOATS);
  } else if ('int' in value) w.int(3, value.int).int(20, AttrType.INT);
  else if ('string' in value) w.string(4, value.string).int(20, AttrType.STRING);
  else w.packedInts(8, value.ints).int(20, AttrType.INTS);
}

function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, v.type).message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      }),
    ),
  );
}

/** Serialises a graph as an ONNX model (IR version 8, default opset 17). */
export function encodeModel(graph: Graph, producer = 'ddn'): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8).string(2, producer);
  w.message(7, (g) => {
    graph.nodes.forEach((n, i) =>
      g.message(1, (node) => {
        for (const input of n.inputs) node.string(1, input);
        for (const output of n.outputs) node.string(2, output);
        node.string(3, `${n.op}_${i}`).string(4, n.op);
        for (const [name, value] of Object.entries(n.attributes ?? {}))
          node.message(5, (a) => writeAttribute(a, name, value));
      }),
    );
    g.string(2, graph.name);
    for (const t of graph.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of graph.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of graph.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  w.message(8, (o) => o.string(1, '').int(2, 17));
  return w.finish();
}
