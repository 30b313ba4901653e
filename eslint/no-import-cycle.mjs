/**
 * `local/no-import-cycle`: no module of the project may reach itself again through its imports, counting
 * type-only imports and re-exports too (`import-x/no-cycle` skips `import type`, and a cycle through types is
 * still a cycle in the design). Imports are read with TypeScript's own scanner and resolved as the compiler
 * resolves them (tsconfig.json); only files of the project are followed, never node_modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/** The compiler options of the tsconfig.json nearest to `dir`, read once per directory. */
const compilerOptionsByConfig = new Map();

function compilerOptionsFor(file) {
  const config = ts.findConfigFile(path.dirname(file), ts.sys.fileExists, 'tsconfig.json');
  if (config === undefined) return { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 };
  let options = compilerOptionsByConfig.get(config);
  if (options === undefined) {
    const read = ts.readConfigFile(config, ts.sys.readFile);
    options = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(config)).options;
    compilerOptionsByConfig.set(config, options);
  }
  return options;
}

/** The project files a file imports or re-exports from (type-only included), by file, cached by mtime. */
const importsByFile = new Map();

function resolve(specifier, from) {
  const resolved = ts.resolveModuleName(specifier, from, compilerOptionsFor(from), ts.sys).resolvedModule;
  if (resolved === undefined || resolved.isExternalLibraryImport) return undefined;
  const file = path.resolve(resolved.resolvedFileName);
  return file.includes(`${path.sep}node_modules${path.sep}`) || file.endsWith('.d.ts') ? undefined : file;
}

function importsOf(file) {
  let mtime;
  try {
    mtime = fs.statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const cached = importsByFile.get(file);
  if (cached !== undefined && cached.mtime === mtime) return cached.imports;
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const imports = [...new Set(importedFiles.map((imported) => resolve(imported.fileName, file)).filter((f) => f !== undefined))];
  importsByFile.set(file, { mtime, imports });
  return imports;
}

/** The shortest way from `start` back to `target` through imports, as files, or undefined. */
function wayBack(start, target) {
  const cameFrom = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const next of importsOf(file)) {
      if (next === target) {
        const way = [file];
        for (let step = cameFrom.get(file); step !== undefined; step = cameFrom.get(step)) way.unshift(step);
        return way;
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, file);
        queue.push(next);
      }
    }
  }
  return undefined;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Disallow import cycles, type-only imports and re-exports included' },
    schema: [],
    messages: { cycle: 'Import cycle: {{way}}. Move what both sides need into a module of its own, or pass it in.' },
  },
  create(context) {
    const file = path.resolve(context.physicalFilename);
    const root = context.cwd;
    const check = (node) => {
      const source = node.source;
      if (source === null || source === undefined || typeof source.value !== 'string') return;
      const target = resolve(source.value, file);
      if (target === undefined || target === file) return;
      const way = wayBack(target, file);
      if (way === undefined) return;
      const names = [file, ...way, file].map((f) => path.relative(root, f));
      context.report({ node, messageId: 'cycle', data: { way: names.join(' -> ') } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};
