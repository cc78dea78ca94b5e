// The CommonJS package is importable by name from ES modules (see src/index.js).
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as esm from '../src/index.js';

test('every export has a named ES module binding', () => {
  const cjs = createRequire(import.meta.url)('../src/index.js');
  const names = Object.keys(esm).filter((name) => name !== 'default').sort();
  assert.deepStrictEqual(names, Object.keys(cjs).sort());
  assert.ok(names.includes('connect') && names.includes('ActorError'));
});
