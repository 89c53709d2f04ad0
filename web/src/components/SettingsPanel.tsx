// Settings of the open conversation: model, temperature, top-k, system prompt,
// and the document collection it asks about. Kept per conversation in localStorage.
// In accounts mode "Default" is the user's own default (GET /settings/me), where they set
// one, and the panel's values can be saved as those defaults.

import { useEffect, useRef, useState } from 'react';
import { api, auth } from '../api/client';
import { describe } from '../api/errors';
import type { ChatPreferences, Collection, ModelList, Preferences } from '../api/types';
import { DEFAULT_SETTINGS, type ChatSettings } from '../state/settings';
import { Icon } from './Icon';
import { showToast } from './Toasts';

interface Props {
  settings: ChatSettings;
  onChange: (settings: ChatSettings) => void;
  onClose: () => void;
}

type Chosen = Pick<ChatPreferences, 'model' | 'temperature' | 'top_k' | 'system_prompt'>;

/** What a field left at "Default" gets, and whose default it is. */
interface Fallback<T> {
  value: T | null;
  mine: boolean;
}

export function fallback<K extends keyof Chosen>(preferences: Preferences | null, name: K): Fallback<NonNullable<Chosen[K]>> {
  const mine = preferences?.settings[name] ?? null;
  if (mine !== null) return { value: mine as NonNullable<Chosen[K]>, mine: true };
  return { value: (preferences?.defaults[name] ?? null) as NonNullable<Chosen[K]> | null, mine: false };
}

function defaultLabel(value: Fallback<unknown>, fallbackName?: string | null): string {
  const shown = value.value ?? fallbackName;
  return `${value.mine ? 'Your default' : 'Server default'}${shown !== null && shown !== undefined && shown !== '' ? ` (${String(shown)})` : ''}`;
}

/**
 * The panel's values as the user's defaults. A field left at "Default" already shows the
 * user's own default, so saving keeps it (the account menu's Settings clears them); memory
 * and tools, not in this panel, are kept too.
 */
export function asPreferences(settings: ChatSettings, current: ChatPreferences): ChatPreferences {
  return {
    ...current,
    model: settings.model || current.model,
    temperature: settings.temperature ?? current.temperature,
    top_k: settings.topK ?? current.top_k,
    system_prompt: settings.system.trim() ? settings.system : current.system_prompt,
  };
}

export function SettingsPanel({ settings, onChange, onClose }: Props) {
  const [models, setModels] = useState<ModelList | null>(null);
  const [modelsMissing, setModelsMissing] = useState(false);
  const [collections, setCollections] = useState<Collection[]>([]);
  // Accounts mode: the user's own defaults on the server (null: keys mode, or not loaded).
  const [mine, setMine] = useState<Preferences | null>(null);
  const [saving, setSaving] = useState(false);
  const panel = useRef<HTMLDivElement>(null);
  const accounts = auth.mode === 'accounts';

  useEffect(() => {
    api.models().then(setModels, () => setModelsMissing(true));
    api.collections().then(setCollections, () => setCollections([]));
    if (accounts) api.preferences().then(setMine, () => setMine(null));
  }, [accounts]);

  async function saveAsMine(): Promise<void> {
    if (!mine) return;
    setSaving(true);
    try {
      setMine(await api.savePreferences(asPreferences(settings, mine.settings)));
      showToast('Saved as your defaults for new conversations.');
    } catch (error) {
      showToast(`Not saved: ${describe(error).hint}`, { tone: 'error' });
    } finally {
      setSaving(false);
    }
  }

  useEffect(() => {
    panel.current?.querySelector<HTMLElement>('select, input, textarea')?.focus();
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);

  const set = (change: Partial<ChatSettings>): void => onChange({ ...settings, ...change });
  const modelNames = models?.models?.map((m) => m.name) ?? [];
  if (settings.model && !modelNames.includes(settings.model)) modelNames.unshift(settings.model);
  const collectionNames = collections.map((c) => c.name);
  if (settings.collection && !collectionNames.includes(settings.collection)) collectionNames.unshift(settings.collection);

  return (
    <>
      <div className="scrim" onClick={onClose} aria-hidden="true" />
      <aside className="settings" ref={panel} role="dialog" aria-modal="true" aria-labelledby="settings-title">
        <div className="settings-head">
          <h2 id="settings-title">Conversation settings</h2>
          <button type="button" className="icon-button" aria-label="Close settings" onClick={onClose}>
            <Icon name="x" />
          </button>
        </div>
        <div className="settings-body">
          <div className="field">
            <label className="field-label" htmlFor="set-model">
              Model
            </label>
            <select id="set-model" className="input" value={settings.model} onChange={(e) => set({ model: e.target.value })}>
              <option value="">{defaultLabel(fallback(mine, 'model'), models?.default)}</option>
              {modelNames.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
            <p className="field-help">
              {modelsMissing
                ? 'This server does not list its models; the default is used.'
                : models?.backend === 'none'
                  ? 'No model is connected (retrieval-only).'
                  : models && (models.ok === false || !models.models?.length)
                    ? 'The model server does not answer, so no models are listed.'
                    : 'Models your model server has.'}
            </p>
          </div>

          <div className="field">
            <label className="field-label" htmlFor="set-collection">
              Ask about documents
            </label>
            <select id="set-collection" className="input" value={settings.collection} onChange={(e) => set({ collection: e.target.value })}>
              <option value="">No documents (plain chat)</option>
              {collectionNames.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
            <p className="field-help">Answers cite passages from this collection. Upload files under Documents.</p>
          </div>

          <div className="field">
            <div className="field-label-row">
              <label className="field-label" htmlFor="set-temperature">
                Temperature
              </label>
              <label className="check">
                <input
                  type="checkbox"
                  checked={settings.temperature === null}
                  onChange={(e) => set({ temperature: e.target.checked ? null : (fallback(mine, 'temperature').value ?? 0.7) })}
                />{' '}
                {mine ? defaultLabel(fallback(mine, 'temperature')) : 'Default'}
              </label>
            </div>
            <div className="range-row">
              <input
                id="set-temperature"
                type="range"
                min={0}
                max={2}
                step={0.1}
                disabled={settings.temperature === null}
                value={settings.temperature ?? fallback(mine, 'temperature').value ?? 0.7}
                onChange={(e) => set({ temperature: Number(e.target.value) })}
              />
              <output htmlFor="set-temperature">{settings.temperature === null ? '—' : settings.temperature.toFixed(1)}</output>
            </div>
            <p className="field-help">Lower is more focused, higher more varied.</p>
          </div>

          <div className="field">
            <div className="field-label-row">
              <label className="field-label" htmlFor="set-topk">
                Passages per question (top-k)
              </label>
              <label className="check">
                <input
                  type="checkbox"
                  checked={settings.topK === null}
                  onChange={(e) => set({ topK: e.target.checked ? null : (fallback(mine, 'top_k').value ?? 5) })}
                />{' '}
                {mine ? defaultLabel(fallback(mine, 'top_k')) : 'Default'}
              </label>
            </div>
            <input
              id="set-topk"
              className="input narrow"
              type="number"
              min={1}
              max={100}
              disabled={settings.topK === null}
              value={settings.topK ?? fallback(mine, 'top_k').value ?? 5}
              onChange={(e) => {
                const value = Math.round(Number(e.target.value));
                if (value >= 1 && value <= 100) set({ topK: value });
              }}
            />
            <p className="field-help">Used when asking about documents.</p>
          </div>

          <div className="field">
            <label className="field-label" htmlFor="set-system">
              System prompt
            </label>
            <textarea
              id="set-system"
              className="input"
              rows={5}
              maxLength={20_000}
              placeholder={fallback(mine, 'system_prompt').mine ? 'Empty: your default system prompt' : "Empty: the server's system prompt"}
              value={settings.system}
              onChange={(e) => set({ system: e.target.value })}
            />
            <p className="field-help">Replaces the server's instructions for this conversation.</p>
          </div>

          <div className="settings-actions">
            <button type="button" className="button ghost" onClick={() => onChange({ ...DEFAULT_SETTINGS })}>
              Reset to defaults
            </button>
            {mine && (
              <button type="button" className="button" disabled={saving} onClick={() => void saveAsMine()}>
                {saving ? 'Saving…' : 'Save as my defaults'}
              </button>
            )}
          </div>
        </div>
      </aside>
    </>
  );
}
