import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';

/** How a provider's default keys are labelled, and what may share that label. */
export interface ProviderIdentity {
  /** `<token>` as printed in default keys and logs: the class name, or the string/symbol token. */
  readonly label: string;
  /**
   * Who may share entries under this label: the class itself for a plain class provider (one
   * class registered in two modules is the same code, built the same way), else the provider
   * (two factories or values under one printed token may hold different state).
   */
  readonly owner: object;
}

/**
 * The identity of a provider for default keys: its injection token, so two providers of one
 * class (`PRICE_EU`, `PRICE_US`) never share entries. `:` and `%` are escaped, so a label can
 * never run into the argument part of a key.
 */
export function providerIdentity(wrapper: InstanceWrapper, instance: object): ProviderIdentity {
  const token: unknown = wrapper.token;
  const plainClass =
    typeof token === 'function' && wrapper.metatype === token && !wrapper.inject && instance.constructor === token;
  const printed =
    typeof token === 'function'
      ? token.name || 'anonymous'
      : typeof token === 'symbol'
        ? token.toString()
        : String(token);
  return {
    label: printed.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A')),
    owner: plainClass ? (token as object) : wrapper,
  };
}
