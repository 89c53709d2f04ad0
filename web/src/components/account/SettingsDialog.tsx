// The signed-in user's chat defaults, kept on the server (GET|PUT /settings/me) so they
// follow them to any browser. Unset is the server's default (shown beside each field);
// a conversation's own settings (its Settings panel) still win over these.

import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import { describe } from '../../api/errors';
import type { ChatPreferences, ModelList, Preferences } from '../../api/types';
import { Dialog } from '../Dialog';
import { Icon } from '../Icon';
import { showToast } from '../Toasts';

const UNSET: ChatPreferences = { model: null, temperature: null, top_k: null, system_prompt: null, memory: null, tools: null };

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const [loaded, setLoaded] = useState<Preferences | null>(null);
  const [mine, setMine] = useState<ChatPreferences>(UNSET);
  const [models, setModels] = useState<ModelList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.preferences().then(
      (answer) => {
        setLoaded(answer);
        setMine({ ...UNSET, ...answer.settings });
      },
      (err: unknown) => setError(describe(err).hint),
    );
    api.models().then(setModels, () => setModels(null));
  }, []);

  const set = (change: Partial<ChatPreferences>): void => setMine((m) => ({ ...m, ...change }));
  const defaults = loaded?.defaults ?? UNSET;
  const modelNames = models?.models?.map((m) => m.name) ?? [];
  if (mine.model && !modelNames.includes(mine.model)) modelNames.unshift(mine.model);

  async function save(): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      const saved = await api.savePreferences({ ...mine, system_prompt: mine.system_prompt?.trim() ? mine.system_prompt : null });
      setLoaded(saved);
      setMine({ ...UNSET, ...saved.settings });
      showToast('Your settings are saved.');
      onClose();
    } catch (err) {
      setError(describe(err).hint);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title="Your settings" onClose={onClose}>
      <p className="field-help">Defaults for every conversation you start, on any browser. A conversation’s own settings win over them.</p>
      {!loaded && !error && <div className="skeleton line" />}
      {loaded && (
        <>
          <div className="field">
            <label className="field-label" htmlFor="pref-model">
              Model
            </label>
            <select id="pref-model" className="input" value={mine.model ?? ''} onChange={(e) => set({ model: e.target.value || null })}>
              <option value="">Server default{defaults.model ? ` (${defaults.model})` : ''}</option>
              {modelNames.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <div className="field-label-row">
              <label className="field-label" htmlFor="pref-temperature">
                Temperature
              </label>
              <label className="check">
                <input type="checkbox" checked={mine.temperature == null} onChange={(e) => set({ temperature: e.target.checked ? null : defaults.temperature ?? 0.7 })} />{' '}
                Server default{defaults.temperature != null ? ` (${defaults.temperature})` : ''}
              </label>
            </div>
            <div className="range-row">
              <input
                id="pref-temperature"
                type="range"
                min={0}
                max={2}
                step={0.1}
                disabled={mine.temperature == null}
                value={mine.temperature ?? defaults.temperature ?? 0.7}
                onChange={(e) => set({ temperature: Number(e.target.value) })}
              />
              <output htmlFor="pref-temperature">{mine.temperature == null ? '—' : mine.temperature.toFixed(1)}</output>
            </div>
          </div>
          <div className="field">
            <label className="field-label" htmlFor="pref-topk">
              Passages per question (top-k)
            </label>
            <input
              id="pref-topk"
              className="input narrow"
              type="number"
              min={1}
              max={100}
              placeholder={defaults.top_k != null ? String(defaults.top_k) : 'default'}
              value={mine.top_k ?? ''}
              onChange={(e) => {
                const value = Math.round(Number(e.target.value));
                set({ top_k: e.target.value === '' ? null : value >= 1 && value <= 100 ? value : mine.top_k });
              }}
            />
          </div>
          <div className="field">
            <label className="field-label" htmlFor="pref-memory">
              Memory
            </label>
            <select
              id="pref-memory"
              className="input"
              value={mine.memory == null ? '' : mine.memory ? 'on' : 'off'}
              onChange={(e) => set({ memory: e.target.value === '' ? null : e.target.value === 'on' })}
            >
              <option value="">Server default ({defaults.memory ? 'on' : 'off'})</option>
              <option value="on">On: recall from earlier conversations</option>
              <option value="off">Off</option>
            </select>
          </div>
          <div className="field">
            <label className="field-label" htmlFor="pref-system">
              System prompt
            </label>
            <textarea
              id="pref-system"
              className="input"
              rows={4}
              maxLength={8000}
              placeholder="Empty: the server's system prompt"
              value={mine.system_prompt ?? ''}
              onChange={(e) => set({ system_prompt: e.target.value })}
            />
          </div>
        </>
      )}
      {error && (
        <p className="form-error" role="alert">
          <Icon name="alert" size={16} /> {error}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="button ghost" onClick={() => setMine(UNSET)} disabled={!loaded}>
          Use the server’s defaults
        </button>
        <button type="button" className="button primary" onClick={() => void save()} disabled={!loaded || busy}>
          Save
        </button>
      </div>
    </Dialog>
  );
}
