export * from './cache.serializer.js';
export * from './json.serializer.js';
export * from './v8.serializer.js';
export * from './msgpack.serializer.js';
export * from './cache-entry.codec.js';
export type { CompressionAlgorithm, ResolvedCompressionOptions } from './payload.compression.js';
