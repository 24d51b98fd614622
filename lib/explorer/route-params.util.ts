import { MODULE_PATH, PATH_METADATA } from '@nestjs/common/constants.js';

/** Matches `:id`, `*path` and quoted `:"name"` parameters of Nest (path-to-regexp) route paths. */
const PARAMETER = /[:*]("(?:[^"\\]|\\.)+"|[A-Za-z_$][\w$]*)/g;

/**
 * Names of the route parameters a handler can receive: those declared in its `@Get(...)` path,
 * its controller's path and the `RouterModule` path of its module. A `{params.x}` key
 * placeholder that names none of them would read `undefined` for every request.
 */
export function declaredRouteParams(handler: object, controller: object, moduleClass: object | undefined): Set<string> {
  const paths = [
    ...pathsOf(Reflect.getMetadata(PATH_METADATA, handler)),
    ...pathsOf(Reflect.getMetadata(PATH_METADATA, controller)),
  ];
  if (moduleClass) {
    for (const metadataKey of Reflect.getMetadataKeys(moduleClass)) {
      if (typeof metadataKey === 'string' && metadataKey.startsWith(MODULE_PATH))
        paths.push(...pathsOf(Reflect.getMetadata(metadataKey, moduleClass)));
    }
  }
  const names = new Set<string>();
  for (const path of paths) {
    for (const match of path.matchAll(PARAMETER))
      names.add(match[1].startsWith('"') ? (JSON.parse(match[1]) as string) : match[1]);
  }
  return names;
}

function pathsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
