import type { ExecutionContext } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { readPath } from '../keys/key-template.compiler.js';
import type { CacheHeaders } from './cache-headers.js';
import { carriesBody, headerText, HttpRequestKeySource, requestOf, type HttpRequest } from './http-request.access.js';
import type { RoutePolicy } from './route-policy.registry.js';

// What ReadThroughInterceptor decides about a request before the cache is read: whether it may
// use the cache at all, the tags its entry is stored under, and whether it must revalidate.
// Plain functions over what they read: the hit path calls them with nothing allocated for the call.

/**
 * The default rules of `ReadThroughInterceptor.isRequestCacheable`: GET or HEAD without a body
 * (unless the route allows one); no credential and no `req.user` unless the key names the
 * principal (which must then be known) or the route is `shared`; and, with
 * `respectRequestCacheControl`, no `Cache-Control: no-store`.
 */
export function admitsRequest(
  request: HttpRequest,
  route: RoutePolicy,
  headers: CacheHeaders,
  respectRequestCacheControl: boolean,
): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (!route.allowRequestBody && carriesBody(request)) return false;
  if (respectRequestCacheControl && /\bno-store\b/i.test(headerText(request.headers['cache-control']))) return false;
  if (!headers.isPerPrincipal(request) || route.shared) return true;
  if (!route.key.perPrincipal) return false;
  // A key naming {user.id} while no guard set a user would put every caller under one key.
  // The same reader as the key template, so the check and the key always see the same value.
  return route.key.userPaths.every((path) => readPath(request.user, path) != null);
}

/**
 * The tags the route's entry for this request is stored under, or `undefined` for an untagged
 * route (which reads nothing of the request for them). Throws when a tag template cannot be built.
 */
export function requestTags(
  context: ExecutionContext,
  route: RoutePolicy,
  adapter: HttpAdapterHost['httpAdapter'],
): string[] | undefined {
  if (route.tags.length === 0) return undefined;
  const source = new HttpRequestKeySource(requestOf(context), adapter);
  return route.tags.map((tag) => tag.build(source));
}

/** Whether the request itself asks to revalidate: `Cache-Control: no-cache`, honoured with `respectRequestCacheControl`. */
export function asksToRevalidate(request: HttpRequest, respectRequestCacheControl: boolean): boolean {
  return respectRequestCacheControl && /\bno-cache\b/i.test(headerText(request.headers['cache-control']));
}
