/**
 * `import()` of a module named at run time (`builtinsModule`). The worker's bundle is evaluated
 * through vm.Script, where `import()` has no loader; its build replaces this module with one that
 * calls the import of the worker's entry file (scripts/worker-bundle.mjs, src/host/worker-boot.ts).
 */
export function importModule(specifier: string): Promise<unknown> {
  return import(specifier);
}
