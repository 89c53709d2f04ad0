// Answers are checked where they enter the UI, against the server's own schemas
// (schema.gen.ts carries them, generated from the OpenAPI document), instead of being
// cast to a type: a server that answers something else fails here, with the field
// named, not later in a component that reads `undefined`.
//
// A small checker for the part of JSON Schema the document uses: $ref, type, properties
// and required, items, anyOf/oneOf/allOf, enum and const. Fields the schema does not
// name are allowed (a newer server may add some); formats and bounds are not checked.

import { componentSchemas, responseSchemas, schemaPatterns, type components } from './schema.gen';

type Schema = boolean | SchemaObject;
interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  prefixItems?: Schema[];
  additionalProperties?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
}

export type Schemas = components['schemas'];
export type SchemaName = keyof Schemas;

const REF_PREFIX = '#/components/schemas/';

/** The server's answer does not have the shape its schema promises. */
export class InvalidAnswer extends Error {
  constructor(
    readonly what: string,
    readonly problem: string,
  ) {
    super(`${what}: ${problem}`);
    this.name = 'InvalidAnswer';
  }
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    default: // string, boolean
      return typeof value === type;
  }
}

function resolve(ref: string): Schema {
  const name = ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
  const schema = componentSchemas[name];
  if (schema === undefined) throw new Error(`schema.gen.ts has no component ${name}: regenerate it`);
  return schema as Schema;
}

function join(at: string, key: string | number): string {
  return at ? `${at}.${key}` : String(key);
}

/** The one option a discriminated union's tag names (`{"type": "token"}` → WsToken). */
function discriminated(schema: SchemaObject, value: unknown): Schema | null {
  const mapping = schema.discriminator?.mapping;
  if (!mapping || !hasType(value, 'object')) return null;
  const tag = (value as Record<string, unknown>)[schema.discriminator!.propertyName];
  const ref = typeof tag === 'string' && Object.hasOwn(mapping, tag) ? mapping[tag] : null;
  return ref ? { $ref: ref } : null;
}

/** Where `value` breaks `schema` ("messages.0.created: a string, not null"), or null. */
export function problem(schema: Schema, value: unknown, at = ''): string | null {
  if (schema === true) return null;
  if (schema === false) return `${at || 'the answer'}: not allowed`;
  if (schema.$ref) return problem(resolve(schema.$ref), value, at);
  const place = at || 'the answer';
  const chosen = discriminated(schema, value);
  if (chosen) return problem(chosen, value, at);
  if (schema.anyOf ?? schema.oneOf) {
    const options = (schema.anyOf ?? schema.oneOf) as Schema[];
    const problems = options.map((option) => problem(option, value, at));
    if (!problems.includes(null)) return problems.find((p) => p !== null) ?? `${place}: no option fits`;
  }
  for (const part of schema.allOf ?? []) {
    const found = problem(part, value, at);
    if (found) return found;
  }
  if ('const' in schema && value !== schema.const) return `${place}: not ${JSON.stringify(schema.const)}`;
  if (schema.enum && !schema.enum.includes(value)) return `${place}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`;
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((type) => hasType(value, type))) return `${place}: ${types.join(' or ')} expected, got ${typeOf(value)}`;
  }
  if (hasType(value, 'object')) {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) {
      if (!(name in object)) return `${join(at, name)}: missing`;
    }
    for (const [name, item] of Object.entries(object)) {
      const sub = schema.properties?.[name] ?? schema.additionalProperties;
      if (sub === undefined) continue;
      const found = problem(sub, item, join(at, name));
      if (found) return found;
    }
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const sub = schema.prefixItems?.[i] ?? schema.items;
      if (sub === undefined) continue;
      const found = problem(sub, value[i], join(at, i));
      if (found) return found;
    }
  }
  return null;
}

/** Where `value` breaks the named schema, or null. */
export function problemAs(name: SchemaName, value: unknown): string | null {
  return problem({ $ref: REF_PREFIX + name }, value);
}

/** Does `value` fit the named schema? */
export function fits<N extends SchemaName>(name: N, value: unknown): value is Schemas[N] {
  return problemAs(name, value) === null;
}

/** `value` as the named schema, or InvalidAnswer. */
export function checked<N extends SchemaName>(name: N, value: unknown): Schemas[N] {
  const found = problemAs(name, value);
  if (found) throw new InvalidAnswer(name, found);
  return value as Schemas[N];
}

/**
 * A route's JSON answer, checked against what the document declares for that route and
 * status (or, for a success status it does not list, any success it lists). `T` is the
 * generated type of that answer; the caller (client.ts) derives it from the same route.
 */
export function checkedAnswer<T>(route: string, status: number, value: unknown): T {
  const declared = responseSchemas[route];
  if (!declared) return value as T; // the route answers no JSON schema (an export, a 204)
  const schema = declared[String(status)] ?? { anyOf: Object.values(declared) };
  const found = problem(schema as Schema, value);
  if (found) throw new InvalidAnswer(route, found);
  return value as T;
}

/** A named string rule of the document (`pattern`), as a RegExp. */
export function patternOf(name: keyof typeof schemaPatterns): RegExp {
  // `u`: JSON Schema patterns are ECMAScript's with Unicode classes (\p{L} is any letter).
  return new RegExp(schemaPatterns[name], 'u');
}
