// One request the SDK cannot produce, written out by hand in both encodings, and the SpanRecords both must
// decode to: kvlist and bytes values, nested arrays, int64 extremes, a value-less attribute, an unspecified
// kind, zero and empty parents, an end before the start, unnamed scopes, resources without a usable
// service.name. The protobuf form also puts fields out of the usual order and adds fields the model drops.

import type { SpanRecord } from '../../model.ts';
import { bytes, concat, double, fixed32, fixed64, hex, message, string, varint } from './protobuf-writer.ts';

export const TRACE_ID = '5b8efff798038103d269b633813fc60c';
export const SPAN_ID = 'eee19b7ec3c1b174';
export const TRACE_ID_2 = 'abcdef0123456789abcdef0123456789';
export const SPAN_ID_2 = '0123456789abcdef';
export const LINK_SPAN_ID = 'fedcba9876543210';

// AnyValue fields, protobuf.
const str = (value: string) => string(1, value);
const bool = (value: boolean) => varint(2, value ? 1 : 0);
const int = (value: number | bigint) => varint(3, value);
const dbl = (value: number) => double(4, value);
const arr = (...values: Uint8Array[]) => message(5, ...values.map((value) => message(1, value)));
const kvlist = (...entries: Uint8Array[]) => message(6, ...entries);
/** A KeyValue as field `field` of its message; no value fields means no value at all. */
const kv = (field: number, key: string, ...value: Uint8Array[]) =>
  message(field, string(1, key), ...(value.length === 0 ? [] : [message(2, ...value)]));

const searchSpan = concat(
  hex(1, TRACE_ID),
  hex(2, SPAN_ID),
  bytes(4, new Uint8Array(8)), // an all-zero parent
  string(5, 'query'),
  fixed64(7, 1_700_000_000_000_001_000n),
  fixed64(8, 1_700_000_000_000_000_999n), // ends before it starts
  kv(9, 'blob', bytes(7, [0, 1, 2, 250, 251, 255])),
  kv(
    9,
    'doc',
    kvlist(
      kv(1, 'name', str('x')),
      kv(1, 'n', int(1)),
      kv(1, 'nested', kvlist(kv(1, 'deep', arr(int(1), str('two'), bool(true), dbl(2.5), new Uint8Array())))),
    ),
  ),
  kv(9, 'matrix', arr(arr(int(1), int(2)), arr(int(3)))),
  kv(9, 'min', int(-(2n ** 63n))),
  kv(9, 'max', int(2n ** 63n - 1n)),
  kv(9, 'none'),
  kv(9, '__proto__', str('own key')),
  // The value before the key.
  message(9, message(2, str('late')), string(1, 'order')),
  varint(10, 3), // dropped_attributes_count
  fixed32(16, 0x101), // flags
  varint(99, 7),
  fixed64(98, 1n),
  string(97, 'unknown'),
  fixed32(96, 1),
);

const unnamedScopeSpan = concat(
  string(5, 'render'),
  hex(2, SPAN_ID_2),
  hex(1, TRACE_ID_2),
  varint(6, 1),
  fixed64(7, 1_700_000_000_500_000_000n),
  fixed64(8, 1_700_000_000_750_000_000n),
  message(15, string(2, ''), varint(3, 1)),
  message(11, kv(3, 'retry', int(2))),
  message(13, kv(4, 'kind', str('follows')), hex(2, LINK_SPAN_ID), hex(1, TRACE_ID), fixed32(6, 1)),
);

const lonelySpan = concat(hex(1, TRACE_ID_2), hex(2, LINK_SPAN_ID), hex(4, SPAN_ID_2), string(5, 'orphan'), varint(6, 2));

export const handBuiltProtobuf: Uint8Array = concat(
  message(
    1,
    // The scope spans first, then the resource, then a schema url.
    message(2, message(2, searchSpan), message(1, string(1, 'souk.search'), string(2, '2.0.0'))),
    message(2, message(2, unnamedScopeSpan), message(1, string(2, 'no name'))),
    message(
      1,
      kv(1, 'service.name', str('search')),
      kv(1, 'service.instance.id', str('search-1')),
      kv(1, 'os.type', str('linux')),
    ),
    string(3, 'https://opentelemetry.io/schemas/1.30.0'),
  ),
  message(
    1,
    message(1, kv(1, 'service.name', int(5)), kv(1, 'service.instance.id', str(''))),
    message(2, message(2, lonelySpan)),
  ),
);

export const handBuiltJson = {
  resourceSpans: [
    {
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: 'search' } },
          { key: 'service.instance.id', value: { stringValue: 'search-1' } },
          { key: 'os.type', value: { stringValue: 'linux' } },
        ],
      },
      scopeSpans: [
        {
          scope: { name: 'souk.search', version: '2.0.0' },
          spans: [
            {
              traceId: TRACE_ID.toUpperCase(),
              spanId: SPAN_ID,
              parentSpanId: '0000000000000000',
              name: 'query',
              startTimeUnixNano: '1700000000000001000',
              endTimeUnixNano: '1700000000000000999',
              attributes: [
                // URL-safe alphabet, no padding: comes back standard.
                { key: 'blob', value: { bytesValue: 'AAEC-vv_' } },
                {
                  key: 'doc',
                  value: {
                    kvlistValue: {
                      values: [
                        { key: 'name', value: { stringValue: 'x' } },
                        { key: 'n', value: { intValue: '1' } },
                        {
                          key: 'nested',
                          value: {
                            kvlistValue: {
                              values: [
                                {
                                  key: 'deep',
                                  value: {
                                    arrayValue: {
                                      values: [
                                        { intValue: 1 },
                                        { stringValue: 'two' },
                                        { boolValue: true },
                                        { doubleValue: 2.5 },
                                        {},
                                      ],
                                    },
                                  },
                                },
                              ],
                            },
                          },
                        },
                      ],
                    },
                  },
                },
                {
                  key: 'matrix',
                  value: {
                    arrayValue: {
                      values: [
                        { arrayValue: { values: [{ intValue: 1 }, { intValue: 2 }] } },
                        { arrayValue: { values: [{ intValue: '3' }] } },
                      ],
                    },
                  },
                },
                { key: 'min', value: { intValue: '-9223372036854775808' } },
                { key: 'max', value: { intValue: '9223372036854775807' } },
                { key: 'none' },
                ...(JSON.parse('[{ "key": "__proto__", "value": { "stringValue": "own key" } }]') as unknown[]),
                { key: 'order', value: { stringValue: 'late' } },
              ],
              droppedAttributesCount: 3,
              flags: 257,
              somethingNew: { nobody: 'knows' },
            },
          ],
        },
        {
          scope: { version: 'no name' },
          spans: [
            {
              traceId: TRACE_ID_2,
              spanId: SPAN_ID_2,
              name: 'render',
              kind: 1,
              startTimeUnixNano: 1_700_000_000_500_000_000,
              endTimeUnixNano: '1700000000750000000',
              status: { code: 1, message: '' },
              events: [{ attributes: [{ key: 'retry', value: { intValue: 2 } }] }],
              links: [
                {
                  traceId: TRACE_ID,
                  spanId: LINK_SPAN_ID.toUpperCase(),
                  attributes: [{ key: 'kind', value: { stringValue: 'follows' } }],
                },
              ],
            },
          ],
        },
      ],
      schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
    },
    {
      resource: {
        attributes: [
          { key: 'service.name', value: { intValue: 5 } },
          { key: 'service.instance.id', value: { stringValue: '' } },
        ],
      },
      scopeSpans: [
        {
          spans: [{ traceId: TRACE_ID_2, spanId: LINK_SPAN_ID, parentSpanId: SPAN_ID_2, name: 'orphan', kind: 2, status: null }],
        },
      ],
    },
  ],
};

const none = { events: [], links: [], attributes: {}, statusCode: 0 as const, statusMessage: null };

export const handBuiltExpected: SpanRecord[] = [
  {
    ...none,
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    parentSpanId: null,
    service: 'search',
    instance: 'search-1',
    name: 'query',
    kind: 0,
    startUs: 1_700_000_000_000_001,
    durationUs: 0,
    attributes: {
      blob: 'AAEC+vv/',
      doc: { name: 'x', n: 1, nested: { deep: [1, 'two', true, 2.5, null] } },
      matrix: [[1, 2], [3]],
      min: -(2 ** 63),
      max: 2 ** 63,
      none: null,
      ...(JSON.parse('{ "__proto__": "own key" }') as object),
      order: 'late',
    },
    events: [],
    links: [],
    scope: 'souk.search',
  },
  {
    ...none,
    traceId: TRACE_ID_2,
    spanId: SPAN_ID_2,
    parentSpanId: null,
    service: 'search',
    instance: 'search-1',
    name: 'render',
    kind: 1,
    startUs: 1_700_000_000_500_000,
    durationUs: 250_000,
    statusCode: 1,
    events: [{ name: '', timeUs: 0, attributes: { retry: 2 } }],
    links: [{ traceId: TRACE_ID, spanId: LINK_SPAN_ID, attributes: { kind: 'follows' } }],
    scope: null,
  },
  {
    ...none,
    traceId: TRACE_ID_2,
    spanId: LINK_SPAN_ID,
    parentSpanId: SPAN_ID_2,
    service: 'unknown_service',
    instance: null,
    name: 'orphan',
    kind: 2,
    startUs: 0,
    durationUs: 0,
    scope: null,
  },
];
