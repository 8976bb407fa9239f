import type { Attribute } from '../../ir/attribute.js';
import { exactSize, type WireDecoder } from '../wire/decode.js';

/** The AttributeProto fields a scan reads. */
const NAME = 1;
const F = 2;
const I = 3;
const FLOATS = 7;
const INTS = 8;
const TYPE = 20;

/** AttributeProto.AttributeType values a scan turns into an attribute. */
const FLOAT_TYPE = 1;
const INT_TYPE = 2;
const FLOATS_TYPE = 6;
const INTS_TYPE = 7;

/**
 * Reads the attributes most nodes carry (an int, a float, a list of ints or floats, with a
 * name and a type) straight into graphlint's Attribute, without decoding a message for them:
 * a big graph has hundreds of thousands. Anything else (another field, another type, a wire
 * type the schema does not expect, a long packed list) is declined, and the
 * schema's decoder reads the attribute as before, with the same result or the same error. A
 * value cut off where the scan reads it fails here, as it would there, with the same message.
 */
export class AttributeScanner {
  /** The name of the attribute the last successful scan read. */
  name = '';

  constructor(private readonly decoder: WireDecoder) {}

  /** The attribute in [start, end), whose field starts at `origin`; undefined when declined. */
  scan(start: number, end: number, origin: number): Attribute | undefined {
    const d = this.decoder;
    let name = '';
    let type = 0;
    let f = 0;
    let i = 0;
    let floats: number[] | undefined;
    let ints: number[] | undefined;
    d.seek(start);
    while (d.position < end) {
      const tag = d.readVarint(end);
      const wire = tag & 7;
      switch (Math.floor(tag / 8)) {
        case NAME: {
          if (wire !== 2) return undefined;
          name = d.readString(d.readLength(end), true);
          break;
        }
        case F: {
          if (wire !== 5) return undefined;
          f = d.readFloat(end);
          break;
        }
        case I: {
          if (wire !== 0) return undefined;
          i = d.readVarint(end);
          break;
        }
        case TYPE: {
          if (wire !== 0) return undefined;
          type = d.readInt32(end);
          break;
        }
        case FLOATS: {
          floats ??= [];
          if (wire === 5) floats.push(d.readFloat(end));
          else if (wire !== 2 || !d.readShortPacked('float', end, floats)) return undefined;
          break;
        }
        case INTS: {
          ints ??= [];
          if (wire === 0) ints.push(d.readVarint(end));
          else if (wire !== 2 || !d.readShortPacked('int64', end, ints)) return undefined;
          break;
        }
        default: return undefined;
      }
    }
    this.name = name;
    switch (type) {
      case INT_TYPE: return { type: 'int', value: i, origin };
      case FLOAT_TYPE: return { type: 'float', value: f, origin };
      case INTS_TYPE: return { type: 'ints', value: ints === undefined ? [] : exactSize(ints), origin };
      case FLOATS_TYPE: return { type: 'floats', value: floats === undefined ? [] : exactSize(floats), origin };
      default: return undefined;
    }
  }
}
