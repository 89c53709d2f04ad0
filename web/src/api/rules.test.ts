import { describe, expect, it } from 'vitest';
import { isCollectionName } from './rules';
import { schemaPatterns } from './schema.gen';

describe('the collection-name rule', () => {
  it('is the server schema’s CollectionName pattern', () => {
    expect(schemaPatterns.CollectionName).toBe('^[\\p{L}\\p{N}_][\\p{L}\\p{N}_ .:-]{0,99}$');
  });

  it('accepts names in any script, as the server does', () => {
    for (const name of ['données', 'default', 'Отчёты 2024', '研究', '_drafts', 'a.b:c-d', 'x'.repeat(100)]) {
      expect(isCollectionName(name), name).toBe(true);
    }
  });

  it('refuses what the server refuses', () => {
    for (const name of ['', ' lead', '-x', 'a/b', 'docs\n', 'x'.repeat(101), 'e\u0301']) {
      expect(isCollectionName(name), JSON.stringify(name)).toBe(false);
    }
  });
});
