// `cem analyze` (run by `npm run build`): the manifest of the two elements from their JSDoc API
// headers, with paths that point at what the package ships (dist/*.js) rather than at src/*.ts.
const toDist = (path) => path?.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js');

/**
 * Registration goes through defineElement() (safe to call twice), which the analyzer does not know:
 * read `defineElement('tag', Class)` calls as definitions, and drop the generic call inside the
 * helper itself. Also drops the nameless events found in `dispatchEvent(new SomeEvent())` calls.
 */
function defineElementCalls() {
  const tags = new Map();
  return {
    name: 'wacrm-define-element',
    analyzePhase({ ts, node, moduleDoc }) {
      if (!ts.isCallExpression(node) || node.expression.getText() !== 'defineElement') return;
      const [tag, constructor] = node.arguments;
      if (!tag || !constructor || !ts.isStringLiteral(tag) || !ts.isIdentifier(constructor)) return;
      const className = constructor.getText();
      const importOf = node
        .getSourceFile()
        .statements.filter(ts.isImportDeclaration)
        .find((statement) => statement.importClause?.namedBindings?.elements?.some((element) => element.name.getText() === className));
      const from = importOf ? new URL(importOf.moduleSpecifier.text, `file:///${moduleDoc.path}`).pathname.slice(1) : moduleDoc.path;
      tags.set(className, tag.text);
      moduleDoc.exports ??= [];
      moduleDoc.exports.push({
        kind: 'custom-element-definition',
        name: tag.text,
        declaration: { name: className, module: from.replace(/\.js$/, '.ts') },
      });
    },
    packageLinkPhase({ customElementsManifest }) {
      for (const mod of customElementsManifest.modules) {
        mod.exports = mod.exports?.filter((exported) => !(exported.kind === 'custom-element-definition' && !tags.has(exported.declaration?.name)));
        for (const declaration of mod.declarations ?? []) {
          if (tags.has(declaration.name)) declaration.tagName = tags.get(declaration.name);
          // `dispatchEvent(new SomeEvent())` yields a nameless entry; the @fires tags name them all.
          if (declaration.events) declaration.events = declaration.events.filter((event) => event.name);
        }
      }
    },
  };
}

function shippedPaths() {
  return {
    name: 'wacrm-shipped-paths',
    packageLinkPhase({ customElementsManifest }) {
      for (const mod of customElementsManifest.modules) {
        mod.path = toDist(mod.path);
        const fix = (reference) => {
          if (reference?.module) reference.module = toDist(reference.module);
        };
        for (const declaration of mod.declarations ?? []) {
          fix(declaration.superclass);
          for (const member of declaration.members ?? []) fix(member.inheritedFrom);
          for (const attribute of declaration.attributes ?? []) fix(attribute.inheritedFrom);
        }
        for (const exported of mod.exports ?? []) fix(exported.declaration);
      }
    },
  };
}

/**
 * The analyzer reads every entry of `static properties` as an attribute, including Lit's internal
 * state (`{ state: true }`), which has none. Those are the entries of private members: drop their
 * attributes.
 */
function internalState() {
  return {
    name: 'wacrm-internal-state',
    packageLinkPhase({ customElementsManifest }) {
      for (const mod of customElementsManifest.modules) {
        for (const declaration of mod.declarations ?? []) {
          const internal = new Set(
            (declaration.members ?? []).filter((member) => member.privacy === 'private' || member.privacy === 'protected').map((member) => member.name),
          );
          for (const member of declaration.members ?? []) if (internal.has(member.name)) delete member.attribute;
          if (declaration.attributes) declaration.attributes = declaration.attributes.filter((attribute) => !internal.has(attribute.fieldName));
        }
      }
    },
  };
}

export default {
  globs: ['src/**/*.ts'],
  // The all-in-one build's subclasses register the same tag names; the README documents their attributes.
  exclude: ['src/drop-in/**'],
  outdir: 'dist',
  litelement: true,
  plugins: [defineElementCalls(), internalState(), shippedPaths()],
};
