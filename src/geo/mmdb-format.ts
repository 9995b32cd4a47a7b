// The MaxMind DB format's constants, shared by the reader and the writer
// (https://maxmind.github.io/MaxMind-DB/).

/** Data-section type numbers (0: extended, the type is 7 + the next byte). */
export const MmdbType = {
  EXTENDED: 0,
  POINTER: 1,
  STRING: 2,
  DOUBLE: 3,
  BYTES: 4,
  UINT16: 5,
  UINT32: 6,
  MAP: 7,
  INT32: 8,
  UINT64: 9,
  UINT128: 10,
  ARRAY: 11,
  BOOLEAN: 14,
  FLOAT: 15,
} as const;

/** What precedes the metadata map at the end of the file. */
export const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com')]);
