import { defineConfig } from 'vitest/config';
import tailwindcss from '@tailwindcss/vite';
import adapter from '@sveltejs/adapter-static';
import { sveltekit } from '@sveltejs/kit/vite';

// SvelteKit config lives inline here (kit >= 2.62): there is no svelte.config.js.
// The build is a static SPA (fallback index.html) that Pulsar serves at /
// (web/static.py). The shell's inline bootstrap script is allowed by a hash that
// kit writes into a <meta> CSP; the server's header CSP allows it for index.html only.
export default defineConfig({
	plugins: [
		tailwindcss(),
		sveltekit({
			compilerOptions: { runes: true },
			adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
			csp: { mode: 'hash', directives: { 'script-src': ['self'] } },
			// Reproducible builds: kit's default version name is Date.now().
			version: { name: process.env.PULSAR_UI_VERSION ?? 'dev' }
		})
	],
	build: { rolldownOptions: { checks: { bundlerTimings: false } } },
	server: { proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } } },
	test: { include: ['src/**/*.test.ts'], environment: 'node' }
});
