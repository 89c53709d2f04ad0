import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The API the dev server forwards to (`vega serve` on its default port).
const API = process.env.VEGA_DEV_API ?? 'http://127.0.0.1:8000';

// Every path the Vega server answers itself; the rest is the single-page app.
const API_PREFIXES = [
  '/healthz', '/livez', '/readyz', '/metrics', '/chat', '/conversations', '/messages',
  '/history', '/documents', '/upload', '/collections', '/search', '/jobs', '/models',
  '/admin', '/v1', '/api', '/openapi.json', '/docs', '/redoc', '/auth', '/keys', '/settings', '/usage',
  '/shared', '/tools', '/memories',
];

// `/admin` itself is the UI's page (the API's routes are below it): a page load there
// stays with the dev server.
const bypassAdminPage = (req: { url?: string; headers: { accept?: string } }): string | undefined =>
  /^\/admin\/?(\?|$)/.test(req.url ?? '') && req.headers.accept?.includes('text/html') ? req.url : undefined;

// A Content-Security-Policy for the built page: even if sanitising ever missed
// something, inline scripts and event-handler attributes would not run. (The dev
// server injects inline scripts for hot reload, so this is added at build only.)
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: https: http:", // remote images load only when the user clicks
  "connect-src 'self' ws: wss:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'vega-csp',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' },
    ],
  };
}

// Swagger UI (/docs) and ReDoc (/redoc) come from Vega's own build, never from a CDN:
// /docs is where people paste their key. The files are copied from the packages pinned
// in package.json (devDependencies: only these files ship), with their licences, into
// api-docs/<package>/; the pages themselves are vega.api.docs_pages.
type DocsFile = {
  from: string;
  // One change to a published file: `find` must occur exactly once, or the build fails
  // (a new version of the package must then be looked at again).
  patch?: { find: string; replace: string; why: string };
};
const API_DOCS: Record<string, DocsFile[]> = {
  'swagger-ui': [
    { from: 'swagger-ui-dist/swagger-ui-bundle.js' },
    { from: 'swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt' },
    { from: 'swagger-ui-dist/swagger-ui.css' },
    { from: 'swagger-ui-dist/LICENSE' },
    { from: 'swagger-ui-dist/NOTICE' },
  ],
  redoc: [
    {
      from: 'redoc/bundles/redoc.standalone.js',
      patch: {
        find: 'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"',
        replace: 'src:"data:image/svg+xml,%3Csvg xmlns=\'http://www.w3.org/2000/svg\'/%3E"',
        why: "the sidebar's \"API docs by Redocly\" logo is its only remote load: an empty image instead",
      },
    },
    { from: 'redoc/bundles/redoc.standalone.js.LICENSE.txt' },
    { from: 'redoc/LICENSE' },
  ],
};

function apiDocsFiles(): Plugin {
  const require = createRequire(import.meta.url);
  // Neither package declares `exports`, so any of their files resolves by its path.
  const read = (from: string) => {
    const [name, ...rest] = from.split('/');
    return readFileSync(join(dirname(require.resolve(`${name}/package.json`)), ...rest));
  };
  return {
    name: 'vega-api-docs',
    apply: 'build',
    generateBundle() {
      for (const [folder, files] of Object.entries(API_DOCS)) {
        for (const { from, patch } of files) {
          let source: Buffer | string = read(from);
          if (patch) {
            const parts = source.toString('utf8').split(patch.find);
            if (parts.length !== 2) {
              this.error(`${from}: expected ${patch.find} once (${patch.why}), found it ${parts.length - 1} times`);
            }
            source = parts.join(patch.replace);
          }
          this.emitFile({ type: 'asset', fileName: `api-docs/${folder}/${basename(from)}`, source });
        }
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), contentSecurityPolicy(), apiDocsFiles()],
  build: {
    outDir: '../src/vega/web',
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      ...Object.fromEntries(API_PREFIXES.map((prefix) => [prefix, { target: API, changeOrigin: false, bypass: bypassAdminPage }])),
      '/ws': { target: API.replace(/^http/, 'ws'), ws: true },
    },
  },
  preview: { host: '127.0.0.1', port: 4173 },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'jsdom',
  },
});
