/** One keyword argument of an emitted Python call, and the helpers that leave out what was not said. */

export interface Kwarg {
  readonly name: string;
  readonly value: unknown;
}

export const present = (kwargs: readonly (Kwarg | undefined | false)[]): Kwarg[] =>
  kwargs.filter((k): k is Kwarg => !!k && k.value !== undefined);

export function kw(name: string, value: unknown): Kwarg | undefined {
  return value === undefined ? undefined : { name, value };
}
