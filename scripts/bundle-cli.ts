// `npm run build` step after tsc: bundles the CLI's front (dist/src/cli/*.js and yargs with its
// dependencies) into dist/src/cli/main.bundle.js, which bin/otel-sysmon.js loads. Node then reads one file
// instead of about 70 before it parses the arguments (--version: 0.14 s / 57 MB unbundled, see README
// Performance). Every other project module stays external, loaded from dist/ as tsc wrote it: each keeps
// one instance (ConfigError's instanceof holds) and the handlers' `await import()`s still load on demand.
import { build, type Plugin } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const cliDir = resolve(dirname(fileURLToPath(import.meta.url)), '../src/cli');

const projectModulesExternal: Plugin = {
  name: 'project-modules-external',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.resolveDir !== cliDir) return undefined; // yargs' own files
      // The importer is in cliDir, and so is the bundle: the relative path stays valid.
      if (dirname(resolve(args.resolveDir, args.path)) !== cliDir) return { path: args.path, external: true };
      return undefined;
    });
  },
};

// yargs finds its translations (locales/*.json) from its own file's URL; in the bundle that URL is the
// bundle's, so point it back at the installed package.
const yargsLocales: Plugin = {
  name: 'yargs-locales',
  setup(b) {
    b.onLoad({ filter: /yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const source = await readFile(args.path, 'utf8');
      const from = 'const __dirname = fileURLToPath(import.meta.url);';
      if (!source.includes(from)) throw new Error(`yargs changed: ${args.path} no longer has "${from}"`);
      const to =
        "const __dirname = join(dirname(createRequire(import.meta.url).resolve('yargs/package.json')), 'lib/platform-shims/esm.mjs');";
      return { contents: source.replace(from, to), loader: 'js' };
    });
  },
};

await build({
  entryPoints: [join(cliDir, 'main.js')],
  outfile: join(cliDir, 'main.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [projectModulesExternal, yargsLocales],
  logLevel: 'warning',
});
