import { describe, expect, it } from 'vitest';
import type { Preferences } from '../api/types';
import { DEFAULT_SETTINGS } from '../state/settings';
import { asPreferences, fallback } from './SettingsPanel';

const unset = { model: null, temperature: null, top_k: null, system_prompt: null, memory: null, tools: null };
const preferences: Preferences = {
  settings: { ...unset, temperature: 0.2, memory: false, tools: ['calculator'] },
  defaults: { ...unset, model: 'llama3', temperature: 0.7, top_k: 5, memory: true },
};

describe('the conversation panel in accounts mode', () => {
  it('"Default" is the user\'s own where they set one, else the server\'s', () => {
    expect(fallback(preferences, 'temperature')).toEqual({ value: 0.2, mine: true });
    expect(fallback(preferences, 'model')).toEqual({ value: 'llama3', mine: false });
    expect(fallback(null, 'top_k')).toEqual({ value: null, mine: false });
  });

  it('saves its values as the user\'s defaults; what it leaves at "Default", memory and tools are kept', () => {
    const saved = asPreferences({ ...DEFAULT_SETTINGS, model: 'qwen', topK: 8, system: '  ', collection: 'notes' }, preferences.settings);
    expect(saved).toEqual({ model: 'qwen', temperature: 0.2, top_k: 8, system_prompt: null, memory: false, tools: ['calculator'] });
  });
});
