export * from './read-through.decorator.js';
