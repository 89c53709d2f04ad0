import { defineConfig, type Plugin } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The API the dev server forwards to (`vega serve` on its default port).
const API = process.env.VEGA_DEV_API ?? 'http://127.0.0.1:8000';

// Every path the Vega server answers itself; the rest is the single-page app.
const API_PREFIXES = [
  '/healthz', '/livez', '/readyz', '/metrics', '/chat', '/conversations', '/messages',
  '/history', '/documents', '/upload', '/collections', '/search', '/jobs', '/models',
  '/admin', '/v1', '/api', '/openapi.json', '/docs', '/redoc',
];

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

export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
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
      ...Object.fromEntries(API_PREFIXES.map((prefix) => [prefix, { target: API, changeOrigin: false }])),
      '/ws': { target: API.replace(/^http/, 'ws'), ws: true },
    },
  },
  preview: { host: '127.0.0.1', port: 4173 },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'jsdom',
  },
});
