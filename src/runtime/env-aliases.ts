/**
 * Environment variables read under the seed's name with our older names kept as aliases. A
 * config schema parses the result of `resolveAliases`, so every setting is validated once,
 * under its seed name, whichever spelling the user set.
 */
import { ConfigurationError } from './errors.ts';

/** One setting: its seed name, and each alias with how to turn its value into the seed's unit. */
export interface AliasedVariable {
  readonly name: string;
  readonly aliases: readonly { readonly name: string; readonly toSeed?: (value: string) => string }[];
}

/** The same setting is set under two names to different values; the message names both. */
export class ConflictingVariablesError extends ConfigurationError {}

const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/** "30" and "30.0" are the same number; other values compare as text. */
const same = (a: string, b: string) => a === b || (Number.isFinite(Number(a)) && Number(a) === Number(b));

/**
 * Copies `env` with each alias' value moved to its seed name (converted to the seed's unit);
 * unset or blank values count as absent. Two spellings with different values are an error.
 */
export function resolveAliases(env: Record<string, string | undefined>, variables: readonly AliasedVariable[]): Record<string, string | undefined> {
  const resolved = { ...env };
  for (const variable of variables) {
    const given = [
      ...(isSet(env[variable.name]) ? [{ name: variable.name, raw: env[variable.name]!, value: env[variable.name]!.trim() }] : []),
      ...variable.aliases.filter((alias) => isSet(env[alias.name])).map((alias) => ({ name: alias.name, raw: env[alias.name]!, value: (alias.toSeed ?? ((v: string) => v))(env[alias.name]!.trim()) })),
    ];
    const conflicting = given.find((entry) => !same(entry.value, given[0]!.value));
    if (conflicting) {
      throw new ConflictingVariablesError(
        `${given[0]!.name}=${JSON.stringify(given[0]!.raw)} and ${conflicting.name}=${JSON.stringify(conflicting.raw)} set the same setting to different values. ` +
          `Set only ${variable.name} (${variable.aliases.map((alias) => alias.name).join(', ')} ${variable.aliases.length === 1 ? 'is an older name' : 'are older names'} for it).`,
      );
    }
    for (const alias of variable.aliases) delete resolved[alias.name];
    if (given.length) resolved[variable.name] = given[0]!.value;
  }
  return resolved;
}
