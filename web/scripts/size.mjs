// Gzipped size of the JavaScript the built page loads up front (its module script
// and the modules it preloads); fails when it is over budget. Lazy chunks (the
// syntax highlighter) are listed but not counted.
//
//   node scripts/size.mjs [--budget-kb 250] [--dir ../src/vega/web]

import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const dir = option('--dir', join(here, '..', '..', 'src', 'vega', 'web'));
const budgetKb = Number(option('--budget-kb', '250'));

let html;
try {
  html = readFileSync(join(dir, 'index.html'), 'utf8');
} catch {
  console.error(`size: no build in ${dir}; run \`npm run build\` first.`);
  process.exit(1);
}

const initial = new Set();
for (const match of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) initial.add(match[1]);
for (const match of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) initial.add(match[1]);

const gz = (file) => gzipSync(readFileSync(join(dir, file.replace(/^\//, '')))).length;
const kb = (bytes) => Math.round((bytes / 1024) * 10) / 10;

let total = 0;
const rows = [];
for (const file of initial) {
  const size = gz(file);
  total += size;
  rows.push({ file, gzip_kb: kb(size), initial: true });
}
const assets = readdirSync(join(dir, 'assets'));
for (const name of assets) {
  const file = `/assets/${name}`;
  if (initial.has(file) || !/\.(js|css)$/.test(name)) continue;
  rows.push({ file, gzip_kb: kb(gz(file)), initial: name.endsWith('.css') ? 'css' : false });
}

for (const row of rows) {
  const tag = row.initial === true ? 'initial' : row.initial === 'css' ? 'css' : 'lazy';
  console.error(`  ${tag.padEnd(8)} ${String(row.gzip_kb).padStart(7)} KB  ${row.file}`);
}
const result = { initial_js_gzip_kb: kb(total), budget_kb: budgetKb, files: [...initial] };
console.log(JSON.stringify(result));
if (total > budgetKb * 1024) {
  console.error(`size: the initial JavaScript is ${kb(total)} KB gzipped, over the ${budgetKb} KB budget.`);
  process.exit(1);
}
