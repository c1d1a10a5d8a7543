#!/usr/bin/env node
/**
 * Lists exported names that nothing imports: `npm run dead-exports`. Importers are every TypeScript,
 * JavaScript and Svelte file in src, tests, scripts, bin and the root configs (a name used only by a
 * test or a page counts as used). Re-exports are followed (an index.ts passes a use on to the file
 * that defines the name); `import * as`, `export *` seen from outside and dynamic `import()` count
 * every name of the target as used. Generated code and tool configs are not listed. Only values
 * (functions, classes, constants) are listed; `--types` adds interfaces and type aliases, which are
 * often exported to name the parameters of an exported function. Exits 1 when something is found.
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const rootArg = process.argv.indexOf('--root');
/** The repository, or (for the script's own test) the tree named by `--root`. */
const root =
  rootArg > 0 ? resolve(process.argv[rootArg + 1] ?? '.') : resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCANNED = ['src', 'tests', 'scripts', 'bin'];
const ROOT_FILES = ['vite.config.ts', 'playwright.config.ts', 'vitest.config.ts', 'eslint.config.js'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'fixtures', '.cache']);
/** Where exports are not candidates: generated flatbuffer code. */
const NOT_CANDIDATES = [/\/generated\//];
/**
 * Files reached by path rather than by an import (a Vite alias swaps them in): their exports are
 * the contract of the file they replace.
 */
const REACHED_BY_ALIAS = ['tests/emulator/worker-usb.ts', 'tests/e2e/support/virtual-usb-worker.ts'];
const withTypes = process.argv.includes('--types');

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (SKIPPED_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|js|mjs|svelte)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const files = [
  ...SCANNED.filter((d) => existsSync(join(root, d))).flatMap((d) => walk(join(root, d), [])),
  ...ROOT_FILES.map((f) => join(root, f)).filter(existsSync),
];

/** The code of a file: a Svelte component's `<script>` blocks, or the whole file. */
function codeOf(path) {
  const text = readFileSync(path, 'utf8');
  if (!path.endsWith('.svelte')) return text;
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
}

function resolveSpecifier(from, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier.replace(/\?.*$/, ''));
  for (const candidate of [base, `${base}.ts`, `${base}.js`, join(base, 'index.ts'), join(base, 'index.js')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Per file: exported names (with line), names used by importers, re-export edges. */
const modules = new Map();
const moduleOf = (path) => {
  if (!modules.has(path))
    modules.set(path, { exports: new Map(), used: new Set(), edges: [], all: false, mentions: new Map() });
  return modules.get(path);
};

/** The module specifier of an import or export (counted as a use by name, not as an entry point). */
const isSpecifier = (node) =>
  ((ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent)) &&
    node.parent.moduleSpecifier === node) ||
  ts.isLiteralTypeNode(node.parent) ||
  (ts.isCallExpression(node.parent) && node.parent.expression.kind === ts.SyntaxKind.ImportKeyword);

const hasExport = (node) => ts.getModifiers?.(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
const hasDefault = (node) => ts.getModifiers?.(node)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword) ?? false;

for (const path of files) {
  const source = ts.createSourceFile(path, codeOf(path), ts.ScriptTarget.Latest, true);
  const self = moduleOf(path);
  const line = (node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const use = (target, name) => {
    if (target) moduleOf(target).used.add(name);
  };
  const useAll = (target) => {
    if (target) moduleOf(target).all = true;
  };

  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const target = resolveSpecifier(path, node.moduleSpecifier.text);
      const clause = node.importClause;
      if (clause?.name) use(target, 'default');
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) useAll(target);
      if (bindings && ts.isNamedImports(bindings))
        for (const el of bindings.elements) use(target, (el.propertyName ?? el.name).text);
    } else if (ts.isExportDeclaration(node)) {
      const target =
        node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)
          ? resolveSpecifier(path, node.moduleSpecifier.text)
          : undefined;
      if (!node.exportClause) {
        if (target) self.edges.push({ star: true, target });
      } else if (ts.isNamedExports(node.exportClause)) {
        for (const el of node.exportClause.elements) {
          const exported = el.name.text;
          const local = (el.propertyName ?? el.name).text;
          self.exports.set(exported, { line: line(el), type: el.isTypeOnly || node.isTypeOnly });
          if (target) self.edges.push({ name: exported, target, targetName: local });
        }
      } else if (ts.isNamespaceExport(node.exportClause)) {
        self.exports.set(node.exportClause.name.text, { line: line(node), type: node.isTypeOnly });
        if (target) self.edges.push({ name: node.exportClause.name.text, target, targetName: '*' });
      }
    } else if (ts.isExportAssignment(node)) {
      self.exports.set('default', { line: line(node), type: false });
    } else if (hasExport(node)) {
      const name = hasDefault(node) ? 'default' : undefined;
      if (ts.isVariableStatement(node)) {
        for (const decl of node.declarationList.declarations)
          if (ts.isIdentifier(decl.name)) self.exports.set(decl.name.text, { line: line(decl), type: false });
      } else if (name || node.name) {
        const type = ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node);
        self.exports.set(name ?? node.name.text, { line: line(node), type });
      }
    }
    if (ts.isIdentifier(node)) self.mentions.set(node.text, (self.mentions.get(node.text) ?? 0) + 1);
    // A file named by path outside an import (a config's setup file, a Vite alias, a worker URL)
    // is an entry point: everything it exports is reached.
    if (ts.isStringLiteralLike(node) && /\.(ts|js|svelte)$/.test(node.text) && !isSpecifier(node)) {
      useAll(
        resolveSpecifier(
          path,
          node.text.startsWith('.') ? node.text : `./${relative(dirname(path), join(root, node.text))}`,
        ),
      );
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) useAll(resolveSpecifier(path, arg.text));
    }
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      const target = resolveSpecifier(path, node.argument.literal.text);
      const first = node.qualifier && (ts.isIdentifier(node.qualifier) ? node.qualifier : node.qualifier.left);
      if (first && ts.isIdentifier(first)) use(target, first.text);
      else useAll(target);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

for (const file of [...REACHED_BY_ALIAS, ...ROOT_FILES]) moduleOf(join(root, file)).all = true;

// Pass uses on through re-exports until nothing changes.
const markAll = (mod) => !mod.all && (mod.all = true);
const markUsed = (mod, name) => !mod.used.has(name) && Boolean(mod.used.add(name));
for (let changed = true; changed;) {
  changed = false;
  for (const mod of modules.values()) {
    for (const edge of mod.edges) {
      const target = moduleOf(edge.target);
      if (edge.star) {
        if (mod.all && markAll(target)) changed = true;
        for (const name of mod.used) if (markUsed(target, name)) changed = true;
      } else if (mod.all || mod.used.has(edge.name)) {
        const marked = edge.targetName === '*' ? markAll(target) : markUsed(target, edge.targetName);
        if (marked) changed = true;
      }
    }
  }
}

/** Unused anywhere (dead code), and used only inside their own file (the `export` can go). */
const dead = [];
const local = [];
for (const [path, mod] of modules) {
  const rel = relative(root, path);
  if (mod.all || NOT_CANDIDATES.some((re) => re.test(rel))) continue;
  for (const [name, { line: at, type }] of mod.exports) {
    if (type && !withTypes) continue;
    // A name passed on by an `export … from` is dead where it is defined, not here.
    if (mod.edges.some((e) => e.name === name) || mod.used.has(name)) continue;
    // The declaration itself is one mention; `default` has no name to look for.
    if (name !== 'default' && (mod.mentions.get(name) ?? 0) <= 1) dead.push(`${rel}:${at}  ${name}`);
    else local.push(`${rel}:${at}  ${name}`);
  }
}

const list = (title, entries) => {
  console.log(`${title}: ${entries.length}`);
  for (const entry of entries.sort()) console.log(`  ${entry}`);
};
list('exported, never used (dead code)', dead);
list('exported, used only in their own file (the export can go)', local);
// Dead code fails the run; a needless export is listed for review only.
if (dead.length > 0) process.exitCode = 1;
