import type { Span } from './decoded.js';

const START = Symbol('start');
const END = Symbol('end');

/**
 * The class of one schema's decoded messages. One per schema, so that V8 sizes each kind of
 * message for the fields it turns out to have (in-object, no separate property store).
 * `$type` lives on the class and `$span` is made when asked for from two numbers kept under
 * symbols (invisible to Object.keys, like the meta fields were meant to be): a graph of a
 * million nodes has millions of messages, and each object less is less to collect.
 */
export function messageShape(type: string): new (type: string, start: number, end: number) => object {
  class Message {
    [START]: number;
    [END]: number;
    constructor(_type: string, start: number, end: number) {
      this[START] = start;
      this[END] = end;
    }

    get $span(): Span {
      return { start: this[START], end: this[END] };
    }
  }
  Object.defineProperty(Message.prototype, '$type', { value: type, enumerable: false, writable: false });
  return Message;
}
