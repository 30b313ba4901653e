/**
 * `@idempotent` compiles and runs under both decorator implementations of TypeScript: one user source
 * (test/types/decorators/order-handler.ts) is compiled by the TypeScript compiler API with
 * `standard/tsconfig.json` (TypeScript 5 standard decorators) and with `legacy/tsconfig.json`
 * (`experimentalDecorators: true`), must have no error (its `@ts-expect-error` misuses must still be
 * errors), and its emitted JavaScript is then run against the library.
 */
import { join, resolve } from 'node:path';
import { runInThisContext } from 'node:vm';
import ts from 'typescript';
import * as library from '../../lib';
import { IdempotencyConfigError } from '../../lib';

const fixtures = resolve(__dirname, '../types/decorators');
const source = join(fixtures, 'order-handler.ts');

interface Fixture {
  demonstrate(): Promise<{
    first: unknown;
    duplicate: unknown;
    otherInstance: unknown;
    charges: string[];
    otherCharges: string[];
    refund: string;
  }>;
  decorateField(): unknown;
}

/** Compiles the fixture with `tsconfig` and returns its diagnostics and its emitted CommonJS. */
function compile(project: 'standard' | 'legacy'): { errors: string[]; javascript: string; decoratorMode: boolean | undefined } {
  const configPath = join(fixtures, project, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const config = ts.parseJsonConfigFileContent(read.config, ts.sys, join(fixtures, project));
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  const file = program.getSourceFile(source);
  if (!file) throw new Error(`${source} is not part of ${configPath}`);
  const diagnostics = [
    ...config.errors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(file),
    ...program.getSemanticDiagnostics(file),
  ];
  let javascript = '';
  const emitted = program.emit(file, (name, text) => {
    if (name.endsWith('.js')) javascript = text;
  });
  return {
    errors: [...diagnostics, ...emitted.diagnostics].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    javascript,
    decoratorMode: config.options.experimentalDecorators,
  };
}

/** Runs emitted CommonJS with `effectively-once` resolved to the library under test. */
function load(javascript: string): Fixture {
  const module = { exports: {} as Fixture };
  const requireFromFixture = (id: string): unknown => {
    if (id === 'effectively-once') return library;
    throw new Error(`The fixture imports ${id}; it should import only effectively-once`);
  };
  const factory = runInThisContext(`(function (exports, require, module) {${javascript}\n})`, { filename: source }) as (
    exports: unknown,
    require: (id: string) => unknown,
    module: { exports: Fixture },
  ) => void;
  factory(module.exports, requireFromFixture, module);
  return module.exports;
}

describe.each([
  {
    project: 'standard',
    mode: 'TypeScript 5 standard decorators',
    experimentalDecorators: undefined,
    helper: '__esDecorate(',
    field: 'field',
  },
  { project: 'legacy', mode: 'experimentalDecorators', experimentalDecorators: true, helper: '__decorate(', field: 'property' },
] as const)('@idempotent compiled with $project/tsconfig.json ($mode)', ({ project, experimentalDecorators, helper, field }) => {
  let compiled: ReturnType<typeof compile>;
  beforeAll(() => {
    compiled = compile(project);
  });

  it('compiles with no error, in the decorator mode the project names', () => {
    expect(compiled.errors).toEqual([]);
    expect(compiled.decoratorMode).toBe(experimentalDecorators);
    expect(compiled.javascript).toContain(helper); // the emitted decorator runtime of that mode
  });

  it("emits JavaScript that runs the method once, replays the duplicate and keeps each call's receiver", async () => {
    const out = await load(compiled.javascript).demonstrate();
    expect(out).toEqual({
      first: { charged: '5 EUR', runs: 1 },
      duplicate: { charged: '5 EUR', runs: 1 },
      otherInstance: { charged: '7 USD', runs: 1 },
      charges: ['o-1'],
      otherCharges: ['o-2'],
      refund: 'refunded o-1',
    });
  });

  it('emits JavaScript that refuses a decorated field with IdempotencyConfigError when the class is defined', () => {
    const fixture = load(compiled.javascript);
    expect(() => fixture.decorateField()).toThrow(IdempotencyConfigError);
    expect(() => fixture.decorateField()).toThrow(`@idempotent decorates methods; it was applied to the ${field} \`handler\``);
  });
});
