import { exactSize, type WireDecoder } from '../wire/decode.js';
import type { Bytes } from '../wire/decoded.js';

/** The TensorProto fields a scan reads. */
const DIMS = 1;
const DATA_TYPE = 2;
const NAME = 8;
const RAW_DATA = 9;

/**
 * Reads an initializer written the usual way (dims, data type, name and raw_data, nothing
 * else) without decoding it into a message: a big graph has a small constant every few nodes.
 * Anything else (another field, a wire type the schema does not expect, a long packed list of
 * dims) is declined, and the schema's decoder reads the tensor as before. A value cut off
 * where the scan reads it fails here, as it would there, with the same message.
 */
export class TensorScanner {
  name = '';
  dataType: number | undefined;
  dims: number[] = [];
  raw: Bytes | undefined;

  constructor(private readonly decoder: WireDecoder) {}

  /** Reads the tensor in [start, end) into the fields above; false when declined (or without raw_data). */
  scan(start: number, end: number): boolean {
    const d = this.decoder;
    let name = '';
    let dataType: number | undefined;
    let dims: number[] | undefined;
    let raw: Bytes | undefined;
    d.seek(start);
    while (d.position < end) {
      const tag = d.readVarint(end);
      const wire = tag & 7;
      switch (Math.floor(tag / 8)) {
        case DIMS: {
          dims ??= [];
          if (wire === 0) dims.push(d.readVarint(end));
          else if (wire !== 2 || !d.readShortPacked('int64', end, dims)) return false;
          break;
        }
        case DATA_TYPE: {
          if (wire !== 0) return false;
          dataType = d.readInt32(end);
          break;
        }
        case NAME:
          if (wire !== 2) return false;
          name = d.readString(d.readLength(end));
          break;
        case RAW_DATA:
          if (wire !== 2) return false;
          raw = d.readBytes(d.readLength(end));
          break;
        default: return false;
      }
    }
    if (raw === undefined) return false;
    this.name = name;
    this.dataType = dataType;
    this.dims = dims === undefined ? [] : exactSize(dims);
    this.raw = raw;
    return true;
  }
}
