export * from './serializer-conformance.js';
