// Generate src/api/schema.gen.ts from the server's OpenAPI document (docs/openapi.json,
// written by scripts/export_openapi.py). Never edit the output by hand: run
// `npm run gen:api` (`make ui` does), or `npm run gen:api -- --check` to fail when stale.
//
// The file has two parts:
// - the types, by openapi-typescript: `paths` (every route's parameters, bodies and
//   answers) and `components` (the named schemas);
// - a few runtime values taken from the same document, which openapi-typescript does not
//   emit: the `pattern`s of named string schemas (the collection-name rule) and the JSON
//   Schemas of the native routes' JSON answers, which src/api/validate.ts checks answers
//   against. The OpenAI- and Ollama-compatible routes are left out of that part: the UI
//   does not call them, and the bundle stays small.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const DOCUMENT = new URL('../../docs/openapi.json', import.meta.url);
const OUTPUT = new URL('../src/api/schema.gen.ts', import.meta.url);
const COMPAT_PREFIXES = ['/v1/', '/api/'];
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
// What a runtime check needs; descriptions, titles, examples and constraints stay out.
const KEPT = new Set([
  '$ref', 'type', 'properties', 'required', 'items', 'prefixItems', 'additionalProperties',
  'anyOf', 'oneOf', 'allOf', 'enum', 'const', 'discriminator',
]);

const HEADER = `/**
 * GENERATED from docs/openapi.json by web/scripts/gen-api.mjs (npm run gen:api):
 * do not edit. The types are openapi-typescript's; the constants at the end are the
 * document's own values, for checks at run time (src/api/validate.ts).
 */

`;

function isCompat(path) {
  return COMPAT_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/** A schema reduced to what a runtime check reads (a copy). */
function slim(schema) {
  if (Array.isArray(schema)) return schema.map(slim);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!KEPT.has(key)) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, slim(sub)]));
    } else if (['enum', 'const', 'required', '$ref', 'type', 'discriminator'].includes(key)) {
      out[key] = value;
    } else {
      out[key] = slim(value);
    }
  }
  return out;
}

/** Names of the components a value refers to, directly or through other components. */
function referenced(value, components, found = new Set()) {
  if (Array.isArray(value)) {
    for (const item of value) referenced(item, components, found);
  } else if (value && typeof value === 'object') {
    for (const [key, sub] of Object.entries(value)) {
      if (key === '$ref' && typeof sub === 'string') {
        const name = sub.replace('#/components/schemas/', '');
        if (!found.has(name)) {
          found.add(name);
          referenced(components[name], components, found);
        }
      } else {
        referenced(sub, components, found);
      }
    }
  }
  return found;
}

/** `{"GET /conversations": {"200": schema}}`: the JSON answers of the native routes. */
function responseSchemas(document) {
  const out = {};
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if (isCompat(path)) continue;
    for (const method of METHODS) {
      const responses = item[method]?.responses;
      if (!responses) continue;
      const byStatus = {};
      for (const [status, response] of Object.entries(responses)) {
        const schema = response.content?.['application/json']?.schema;
        if (/^2\d\d$/.test(status) && schema) byStatus[status] = slim(schema);
      }
      if (Object.keys(byStatus).length) out[`${method.toUpperCase()} ${path}`] = byStatus;
    }
  }
  return out;
}

/**
 * The components a native client may check at run time: everything but what only the
 * compatible routes use (the WebSocket frames, which no path refers to, are kept).
 */
function runtimeComponents(document) {
  const components = document.components?.schemas ?? {};
  const native = new Set();
  const compat = new Set();
  for (const [path, item] of Object.entries(document.paths ?? {})) referenced(item, components, isCompat(path) ? compat : native);
  const names = Object.keys(components)
    .filter((name) => native.has(name) || !compat.has(name))
    .sort();
  return Object.fromEntries(names.map((name) => [name, slim(components[name])]));
}

/** The `pattern` of every named string schema, e.g. `CollectionName`. */
function patterns(document) {
  const entries = Object.entries(document.components?.schemas ?? {})
    .filter(([, schema]) => schema.type === 'string' && typeof schema.pattern === 'string')
    .sort(([a], [b]) => a.localeCompare(b));
  return Object.fromEntries(entries.map(([name, schema]) => [name, schema.pattern]));
}

function constant(name, doc, type, value) {
  return `/** ${doc} */\nexport const ${name}${type} = ${JSON.stringify(value, null, 2)}${type ? '' : ' as const'};\n`;
}

export async function generate(document) {
  const types = astToString(await openapiTS(document, { alphabetize: true, defaultNonNullable: false, silent: true }));
  return [
    HEADER,
    types,
    '\n// --- values for run-time checks (src/api/validate.ts) ---------------------------\n\n',
    constant('schemaPatterns', 'The `pattern` of each named string schema (ECMAScript syntax: compile with the `u` flag).', '', patterns(document)),
    '\n',
    constant('componentSchemas', 'The named schemas the native API answers with, reduced to what a check reads.', ': Record<string, unknown>', runtimeComponents(document)),
    '\n',
    constant('responseSchemas', 'The JSON answers of the native routes: "METHOD /path" → status → schema.', ': Record<string, Record<string, unknown>>', responseSchemas(document)),
  ].join('');
}

async function main() {
  const check = process.argv.includes('--check');
  const document = JSON.parse(readFileSync(DOCUMENT, 'utf8'));
  const text = await generate(document);
  const target = fileURLToPath(OUTPUT);
  if (check) {
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // missing: stale
    }
    if (current !== text) {
      console.error('web/src/api/schema.gen.ts is stale: run `npm run gen:api` in web/ and commit it.');
      process.exit(1);
    }
    return;
  }
  writeFileSync(target, text);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
