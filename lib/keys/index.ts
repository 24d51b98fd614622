export * from './stable-value.encoder.js';
export * from './key-template.compiler.js';
export * from './cache-key.builder.js';
export * from './method-key.factory.js';
export * from './request-key.factory.js';
