// Bundles the extension into dist/. Four outputs: extension.js (the package's "main", a small launcher),
// runwatch.js (Runwatch itself, run by the launcher through V8's code cache at every start), undici.js (the HTTP
// client, loaded on the first request, so activation does not even compile it) and mcp.js (the MCP SDK client,
// loaded only once an Adlyse key exists, so it costs nothing at activation otherwise).
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const metafile = process.argv.includes('--metafile');

/**
 * Keep the lazily loaded MCP session out of the main bundle: `import('./mcpSession')` becomes require('./mcp.js').
 * The `.js` spelling is matched too: tsc (module Node16) requires it in a dynamic import, and it is what the
 * compiled tests load.
 */
const lazyMcp = {
  name: 'lazy-mcp',
  setup(build) {
    build.onResolve({ filter: /[\\/]mcpSession(\.js)?$/ }, () => ({ path: './mcp.js', external: true }));
  },
};

/** undici in a file of its own: `require('./undiciParts')` (src/core/undiciLazy.ts) becomes require('./undici.js'). */
const lazyUndici = {
  name: 'lazy-undici',
  setup(build) {
    build.onResolve({ filter: /[\\/]undiciParts(\.js)?$/ }, () => ({ path: './undici.js', external: true }));
  },
};

/**
 * One namespace object for `vscode`: each `import * as vscode from 'vscode'` of an external module becomes
 * `__toESM(require('vscode'))`, which defines a getter for every property of the API object, once per importing
 * file (48 of them). Routing the import through one bundled module that re-exports it copies them once.
 */
const VSCODE_API_NAMESPACE = 'runwatch-vscode-api';
const oneVscodeNamespace = {
  name: 'one-vscode-namespace',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, args =>
      args.namespace === VSCODE_API_NAMESPACE ? { path: 'vscode', external: true } : { path: 'vscode', namespace: VSCODE_API_NAMESPACE },
    );
    build.onLoad({ filter: /.*/, namespace: VSCODE_API_NAMESPACE }, () => ({ contents: "export * from 'vscode';", loader: 'js' }));
  },
};

/** Prints errors in the problem-matcher format VS Code's esbuild watch tasks understand. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => {
      if (watch) console.log("[watch] build started");
    });
    build.onEnd(result => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (watch) console.log("[watch] build finished");
    });
  },
};

/** Read by src/extension.ts (bundleTopLevelMs): when the bundle's top level began and ended, host clock. */
// "use strict" first: a statement before the bundle's own directive would make the whole file sloppy mode.
const BUNDLE_START_BANNER = '"use strict";globalThis.__runwatchBundleTopLevel = { start: performance.now() };';
const BUNDLE_END_FOOTER = 'globalThis.__runwatchBundleTopLevel.end = performance.now();';

const common = {
  bundle: true,
  format: 'cjs',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  platform: 'node',
  target: 'node20',
  external: ['vscode'],
  logLevel: 'warning',
  metafile,
};

async function main() {
  const builds = [
    // Banner and footer: activate() logs how long the bundle's top level took to run (what loading it costs
    // beyond reading and compiling the file).
    // The package's "main": a small launcher that runs runwatch.js through V8's code cache (src/launcher.ts).
    { ...common, entryPoints: ['src/launcher.ts'], outfile: 'dist/extension.js', plugins: [problemMatcher] },
    { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/runwatch.js', plugins: [oneVscodeNamespace, lazyMcp, lazyUndici, problemMatcher], banner: { js: BUNDLE_START_BANNER }, footer: { js: BUNDLE_END_FOOTER } },
    { ...common, entryPoints: ['src/providers/adlyse/mcpSession.ts'], outfile: 'dist/mcp.js', plugins: [lazyUndici, problemMatcher] },
    { ...common, entryPoints: ['src/core/undiciParts.ts'], outfile: 'dist/undici.js', plugins: [problemMatcher] },
  ];
  if (watch) {
    for (const options of builds) await (await esbuild.context(options)).watch();
    return;
  }
  for (const options of builds) {
    const result = await esbuild.build(options);
    if (metafile) fs.writeFileSync(path.join('dist', path.basename(options.outfile) + '.meta.json'), JSON.stringify(result.metafile));
  }
  for (const file of ['dist/extension.js', 'dist/runwatch.js', 'dist/undici.js', 'dist/mcp.js']) {
    console.log(`${file}: ${(fs.statSync(file).size / 1024).toFixed(1)} KB`);
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
