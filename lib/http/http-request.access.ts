import type { ExecutionContext } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import type { RequestKeySource } from './request-key.factory.js';

/** The request object of Express or Fastify, as far as the interceptor reads it. */
export interface HttpRequest {
  method: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  params?: unknown;
  query?: unknown;
  user?: unknown;
  socket?: { localAddress?: string; localPort?: number };
  raw?: { socket?: { localAddress?: string; localPort?: number } };
}

/** The response object of Express (a `ServerResponse`) or Fastify (a reply with `raw`). */
export interface HttpResponse {
  statusCode: number;
  getHeader(name: string): unknown;
  getHeaders(): Record<string, unknown>;
  raw?: ServerResponse;
}

// Nest's switchToHttp() allocates three closures on every call; the hit path reads the request
// and response several times, so it takes them by index (the order switchToHttp() uses).
/** The platform request of an HTTP execution context. */
export function requestOf(context: ExecutionContext): HttpRequest {
  return context.getArgByIndex<HttpRequest>(0);
}

/** The platform response of an HTTP execution context. */
export function responseOf(context: ExecutionContext): HttpResponse {
  return context.getArgByIndex<HttpResponse>(1);
}

/** The Node `ServerResponse` under the platform response: what is finally written to the socket. */
export function rawResponseOf(response: HttpResponse): ServerResponse {
  return response.raw ?? (response as unknown as ServerResponse);
}

/** A header value as one string (`''` when absent). */
export function headerText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/**
 * The request as a key template reads it. Getters, so a key reads only what it names (Express 5
 * parses the query string on first access of `req.query`); on the prototype, so a request does
 * not allocate a closure per part.
 */
export class HttpRequestKeySource implements RequestKeySource {
  constructor(
    private readonly request: HttpRequest,
    private readonly adapter: HttpAdapterHost['httpAdapter'],
  ) {}

  get method(): string {
    return this.request.method;
  }

  get url(): string {
    return String(this.adapter.getRequestUrl(this.request));
  }

  get params(): unknown {
    return this.request.params;
  }

  get query(): unknown {
    return this.request.query;
  }

  get user(): unknown {
    return this.request.user;
  }

  get headers(): HttpRequest['headers'] {
    return this.request.headers;
  }
}

/** `<localAddress>:<localPort>` of the connection, the `Host` a handler sees while its response may be stored. */
export function localAddress(request: HttpRequest): string {
  const socket = request.socket ?? request.raw?.socket;
  const address = socket?.localAddress;
  if (!address) return 'localhost';
  const host = address.includes(':') ? `[${address}]` : address;
  return socket.localPort ? `${host}:${socket.localPort}` : host;
}

/** Whether a request carries a body (a key never reads one). */
export function carriesBody(request: { headers: Readonly<Record<string, unknown>> }): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}
