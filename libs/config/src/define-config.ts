import { describeIssue } from '@chat/contracts';
import type { z } from 'zod';

/** One environment variable: its name, the zod schema that parses it (with its default) and what it means. */
export interface EnvVar<T extends z.ZodType = z.ZodType> {
  readonly env: string;
  readonly schema: T;
  readonly description: string;
}

export type ConfigSpec = Readonly<Record<string, EnvVar>>;

export type ConfigOf<S extends ConfigSpec> = {
  readonly [K in keyof S]: z.output<S[K]['schema']>;
};

export function envVar<T extends z.ZodType>(
  env: string,
  schema: T,
  description: string,
): EnvVar<T> {
  return { env, schema, description };
}

/** Thrown by loadConfig; its message names every variable that is missing or invalid. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly { env: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p.env}: ${p.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/**
 * Parses every variable of the spec from `env` once and returns a frozen object. An empty
 * (or blank) string counts as unset, so `FOO=` falls back to the default instead of failing
 * oddly; a blank port would otherwise coerce to 0.
 */
export function loadConfig<S extends ConfigSpec>(
  spec: S,
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  const result: Record<string, unknown> = {};
  const problems: { env: string; message: string }[] = [];
  for (const [key, variable] of Object.entries(spec)) {
    const raw = env[variable.env];
    const unset = raw === undefined || raw.trim() === '';
    const parsed = variable.schema.safeParse(unset ? undefined : raw);
    if (parsed.success) {
      result[key] = parsed.data;
    } else {
      const message = unset ? 'is required but not set' : describeIssue(parsed.error);
      problems.push({ env: variable.env, message });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(result) as ConfigOf<S>;
}

/** Rows for the README's configuration table: name, default (as the env string) and meaning. */
export function describeConfig(
  spec: ConfigSpec,
): { env: string; default: string | undefined; description: string }[] {
  return Object.values(spec).map((variable) => {
    const fallback = variable.schema.safeParse(undefined);
    return {
      env: variable.env,
      default:
        fallback.success && fallback.data !== undefined ? formatDefault(fallback.data) : undefined,
      description: variable.description,
    };
  });
}

function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}
