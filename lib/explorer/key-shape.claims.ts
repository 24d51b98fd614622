import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { parseKeyTemplate } from '../keys/key-template.compiler.js';

/**
 * Finds a controller route and a provider method whose key templates can derive the same stored
 * key: same namespace, same literal parts around the same number of placeholders
 * (`'cat:{params.id}'` and `'cat:{0}'`). One stored key would then hold a response in one
 * process and a method's value in another, each refused by the other reader and overwritten in
 * turn; and a route whose handler calls that method would wait for its own load. Bootstrap fails
 * instead, naming both.
 */
export class KeyShapeClaims {
  private readonly claims = new Map<string, { kind: 'route' | 'method'; label: string; template: string }>();

  /** Records a template (key functions and default keys cannot be compared and are skipped). */
  claim(kind: 'route' | 'method', label: string, namespace: string, template: unknown): void {
    if (typeof template !== 'string') return;
    const { literals, paths } = parseKeyTemplate(template);
    const shape = `${namespace}\u0000${paths.length}\u0000${literals.join('\u0000')}`;
    const other = this.claims.get(shape);
    if (!other) {
      this.claims.set(shape, { kind, label, template });
      return;
    }
    if (other.kind === kind) return;
    const [route, method] = kind === 'route' ? [{ label, template }, other] : [other, { label, template }];
    throw new InvalidRedisCacheOptionsError(
      `${route.label}: key`,
      `the route key "${route.template}" and the key "${method.template}" of ${method.label} derive the same stored keys in namespace "${namespace}": a response and a method value would overwrite each other, and the route would wait for itself if it calls the method`,
      'give the route or the method its own namespace, or a different key',
    );
  }
}
