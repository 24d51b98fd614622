export * from './serializer-conformance.suite.js';
