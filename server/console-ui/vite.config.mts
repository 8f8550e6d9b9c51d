import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

// The console is served by keyplane-server at /console from server/dist/console-ui: one script,
// one stylesheet, no inline code (the CSP allows 'self' only), nothing fetched at run time.
export default defineConfig({
  root: here,
  base: "/console/",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: `${here}../dist/console-ui`,
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
