// `npm run build` step after tsc: bundles the CLI's front (dist/src/cli/*.js and yargs with its
// dependencies) into dist/src/cli/main.bundle.js, which bin/otel-sysmon.js loads. Node then reads one file
// instead of about 70 before it parses the arguments (--version: 0.14 s / 57 MB unbundled, see README
// Performance). Every other project module stays external, loaded from dist/ as tsc wrote it: each keeps
// one instance (ConfigError's instanceof holds) and the handlers' `await import()`s still load on demand.
import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
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
      const source = await readFile(args.path, 'utf8');
      const from = 'const __dirname = fileURLToPath(import.meta.url);';
      if (!source.includes(from)) throw new Error(`yargs changed: ${args.path} no longer has "${from}"`);
      const to =
        "const __dirname = join(dirname(createRequire(import.meta.url).resolve('yargs/package.json')), 'lib/platform-shims/esm.mjs');";
      return { contents: source.replace(from, to), loader: 'js' };
    });
  },
};

// yargs renders a command's whole help before running its handler (usage.cacheHelpMessage), whatever
// the arguments: 130 lines for `run`, each measured with string-width, which segments graphemes and
// tests emoji and East Asian width per character (80-150 ms of a `snapshot` on this VM). Printable ASCII
// is one column per character in every string-width version: answer that directly, the rest as before.
const stringWidthAscii: Plugin = {
  name: 'string-width-ascii',
  setup(b) {
    b.onLoad({ filter: /[\\/]string-width[\\/]index\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const from = /export default function stringWidth\(/;
      if (!from.test(source)) throw new Error(`string-width changed: ${args.path} has no "export default function stringWidth("`);
      const contents =
        source.replace(from, 'function stringWidthAnyText(') +
        '\nconst printableAscii = /^[\\x20-\\x7e]*$/;\n' +
        'export default function stringWidth(text, options) {\n' +
        "  return typeof text === 'string' && printableAscii.test(text) ? text.length : stringWidthAnyText(text, options);\n" +
        '}\n';
      return { contents, loader: 'js' };
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
  plugins: [projectModulesExternal, yargsLocales, stringWidthAscii],
  logLevel: 'warning',
});
