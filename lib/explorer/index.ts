export * from './read-through.explorer.js';
