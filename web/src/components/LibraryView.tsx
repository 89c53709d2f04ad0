// Documents: pick a collection (or name a new one), upload with progress, see
// what is indexed, delete, and start a conversation that asks about it.

import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import { api } from '../api/client';
import { describe } from '../api/errors';
import { isCollectionName } from '../api/rules';
import type { Collection, DocumentOut } from '../api/types';
import { uploadDocument, waitForJob } from '../api/upload';
import { newId } from '../ids';
import { useAccount } from '../state/account';
import { formatDate } from '../time';
import { Icon } from './Icon';
import { ShareCollectionDialog } from './ShareCollectionDialog';
import { showToast } from './Toasts';
import { TopBar } from './TopBar';

type UploadState = 'uploading' | 'processing' | 'ready' | 'duplicate' | 'failed';

interface UploadItem {
  id: string;
  name: string;
  size: number;
  collection: string;
  progress: number; // 0..1: bytes sent, then passages embedded
  state: UploadState;
  message: string;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function LibraryView({ onMenu, onAsk }: { onMenu: () => void; onAsk: (collection: string) => void }) {
  const [collections, setCollections] = useState<Collection[]>([]);
  const [collection, setCollection] = useState('default');
  const [documents, setDocuments] = useState<DocumentOut[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [uploads, setUploads] = useState<UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  const [sharing, setSharing] = useState(false);
  const { config } = useAccount();
  const name = collection.trim();
  // Another user's collection shared with this one (accounts mode) is named OWNER/NAME,
  // which is no name of one's own: it is valid when the server lists it, read-only.
  const shared = collections.find((c) => c.name === name)?.shared_by ?? null;
  const validName = isCollectionName(name) || shared !== null;

  const refreshCollections = useCallback(() => {
    api.collections().then(setCollections, () => undefined);
  }, []);

  const refreshDocuments = useCallback(async (): Promise<void> => {
    // A shared collection's files stay its owner's: `GET /documents` takes names of one's
    // own only (CollectionName), so its counts from `GET /collections` are what is shown.
    if (!validName || shared !== null) {
      setDocuments([]);
      return;
    }
    try {
      const docs = await api.documents(name);
      setDocuments(docs);
      setListError(null);
    } catch (error) {
      setListError(describe(error).hint);
    }
  }, [name, validName, shared]);

  useEffect(() => {
    refreshCollections();
  }, [refreshCollections]);

  useEffect(() => {
    setDocuments(null);
    const timer = window.setTimeout(() => void refreshDocuments(), 150);
    return () => clearTimeout(timer);
  }, [refreshDocuments]);

  // Documents still being ingested: look again every 2 s.
  const processing = documents?.some((d) => d.status === 'processing') ?? false;
  useEffect(() => {
    if (!processing) return undefined;
    const timer = window.setInterval(() => void refreshDocuments(), 2000);
    return () => clearInterval(timer);
  }, [processing, refreshDocuments]);

  const update = (id: string, change: Partial<UploadItem>): void =>
    setUploads((list) => list.map((u) => (u.id === id ? { ...u, ...change } : u)));

  async function uploadOne(file: File, target: string): Promise<void> {
    const id = newId();
    setUploads((list) => [{ id, name: file.name, size: file.size, collection: target, progress: 0, state: 'uploading', message: 'Uploading…' }, ...list]);
    try {
      const { status, body } = await uploadDocument(file, target, (fraction) => update(id, { progress: fraction }))
        .promise;
      if (status === 202 && body.job_id) {
        update(id, { state: 'processing', progress: 0, message: 'Reading and indexing…' });
        const job = await waitForJob(body.job_id, (j) => update(id, { progress: j.progress ?? 0 }));
        if (job.status === 'failed') update(id, { state: 'failed', message: job.error ?? 'Indexing failed.' });
        else update(id, { state: 'ready', progress: 1, message: `Ready: ${job.result?.chunks ?? 0} passages` });
      } else if (status === 200 || body.duplicate) {
        update(id, { state: 'duplicate', progress: 1, message: `Already in “${body.collection}”: nothing added` });
      } else {
        update(id, { state: 'ready', progress: 1, message: `Ready: ${body.chunks} passage${body.chunks === 1 ? '' : 's'}` });
      }
    } catch (error) {
      const d = describe(error);
      update(id, { state: 'failed', message: `${d.title}: ${d.hint}` });
    }
    refreshCollections();
    if (target === name) void refreshDocuments();
  }

  function addFiles(files: FileList | File[] | null): void {
    const list = Array.from(files ?? []);
    if (!list.length) return;
    if (!validName) {
      showToast('Name the collection first: letters, digits, spaces, _ . : - (up to 100).', { tone: 'error' });
      return;
    }
    // One at a time keeps progress honest and the server unhurried.
    void list.reduce<Promise<void>>((chain, file) => chain.then(() => uploadOne(file, name)), Promise.resolve());
  }

  function onDrop(event: DragEvent<HTMLDivElement>): void {
    event.preventDefault();
    setDragging(false);
    addFiles(event.dataTransfer.files);
  }

  async function remove(doc: DocumentOut): Promise<void> {
    try {
      await api.deleteDocument(doc.id);
      setDocuments((docs) => docs?.filter((d) => d.id !== doc.id) ?? null);
      refreshCollections();
      showToast(`Deleted “${doc.source_name}”.`);
    } catch (error) {
      showToast(`Could not delete: ${describe(error).hint}`, { tone: 'error' });
    }
  }

  const current = collections.find((c) => c.name === name);
  const ready = documents?.filter((d) => d.status === 'ready').length ?? 0;

  return (
    <>
      <TopBar title="Documents" onMenu={onMenu} />
      <div className="page-scroll">
        <div className="library">
          <section className="library-head">
            <div className="field collection-field">
              <label className="field-label" htmlFor="collection">
                Collection
              </label>
              <input
                id="collection"
                className="input"
                list="collection-names"
                value={collection}
                onChange={(e) => setCollection(e.target.value)}
                aria-invalid={!validName || undefined}
                aria-describedby="collection-help"
                autoComplete="off"
              />
              <datalist id="collection-names">
                {collections.map((c) => (
                  <option key={c.name} value={c.name} />
                ))}
              </datalist>
              <p id="collection-help" className={`field-help${validName ? '' : ' invalid'}`}>
                {shared
                  ? `Shared with you by ${shared}: search it and ask about it (read-only).`
                  : !validName
                    ? 'Use letters, digits, spaces, _ . : - (up to 100), starting with a letter, digit or _.'
                    : current
                      ? `${current.documents} document${current.documents === 1 ? '' : 's'}, ${current.chunks} passage${current.chunks === 1 ? '' : 's'}.`
                      : 'A new collection: it is created by the first upload.'}
              </p>
            </div>
            <button type="button" className="button primary" disabled={!current || (shared ? current.chunks === 0 : ready === 0)} onClick={() => onAsk(name)}>
              <Icon name="chat" size={16} /> Ask about this collection
            </button>
            {config.mode === 'accounts' && current && !shared && (
              <button type="button" className="button" onClick={() => setSharing(true)} aria-haspopup="dialog">
                Share
              </button>
            )}
          </section>
          {sharing && <ShareCollectionDialog collection={name} onClose={() => setSharing(false)} />}

          {!shared && (
            <div
              className={`dropzone${dragging ? ' dragging' : ''}`}
              onDragOver={(e) => {
                e.preventDefault();
                e.dataTransfer.dropEffect = 'copy';
                setDragging(true);
              }}
              onDragLeave={() => setDragging(false)}
              onDrop={onDrop}
            >
              <Icon name="upload" size={26} />
              <p>
                <strong>Drop files here</strong> or{' '}
                <button type="button" className="link-button" onClick={() => picker.current?.click()}>
                  choose files
                </button>
              </p>
              <p className="dropzone-help">Text, Markdown, PDF, Word, HTML, CSV, JSON, code, and zip archives.</p>
              <input
                ref={picker}
                type="file"
                multiple
                hidden
                aria-label="Choose files to upload"
                onChange={(e) => {
                  addFiles(e.target.files);
                  e.target.value = '';
                }}
              />
            </div>
          )}

          {uploads.length > 0 && (
            <section aria-label="Uploads">
              <div className="section-head">
                <h2>Uploads</h2>
                <button type="button" className="link-button" onClick={() => setUploads((list) => list.filter((u) => u.state === 'uploading' || u.state === 'processing'))}>
                  Clear finished
                </button>
              </div>
              <ul className="upload-list">
                {uploads.map((u) => (
                  <li key={u.id} className={`upload upload-${u.state}`}>
                    <Icon name="file" size={18} />
                    <div className="upload-main">
                      <div className="upload-line">
                        <span className="upload-name">{u.name}</span>
                        <span className="upload-size">{formatSize(u.size)}</span>
                      </div>
                      {(u.state === 'uploading' || u.state === 'processing') && (
                        <div className="progress" role="progressbar" aria-label={`${u.name} progress`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(u.progress * 100)}>
                          <div className="progress-bar" style={{ transform: `scaleX(${u.progress})` }} />
                        </div>
                      )}
                      <span className="upload-status" role={u.state === 'failed' ? 'alert' : undefined} title={u.message}>
                        {u.message}
                      </span>
                    </div>
                    <span className={`badge badge-${u.state}`}>{u.state}</span>
                  </li>
                ))}
              </ul>
            </section>
          )}

          {shared !== null && current && <SharedSummary collection={current} owner={shared} />}
          {shared === null && (
            <section aria-label="Documents in this collection">
              <div className="section-head">
                <h2>In “{name || '…'}”</h2>
                <button type="button" className="link-button" onClick={() => void refreshDocuments()}>
                  Refresh
                </button>
              </div>
              {listError && <p className="form-error">{listError}</p>}
              {documents === null && !listError && <div className="skeleton line" />}
              {documents?.length === 0 && <p className="muted">No documents here yet. Drop files above to add some.</p>}
              {documents && documents.length > 0 && (
                <ul className="document-list">
                  {documents.map((doc) => (
                    <DocumentRow key={doc.id} doc={doc} onDelete={() => void remove(doc)} />
                  ))}
                </ul>
              )}
            </section>
          )}
        </div>
      </div>
    </>
  );
}

/** Another user's collection shared with this one: what is in it, and what one may do. */
function SharedSummary({ collection, owner }: { collection: Collection; owner: string }) {
  return (
    <section aria-label="Documents in this collection" className="shared-collection">
      <div className="section-head">
        <h2>In “{collection.name}”</h2>
      </div>
      <p className="muted">
        {collection.documents} document{collection.documents === 1 ? '' : 's'}, {collection.chunks} passage{collection.chunks === 1 ? '' : 's'}, shared
        read-only by {owner}. Ask about it and the answers cite its passages; only {owner} adds or removes documents.
      </p>
    </section>
  );
}

function DocumentRow({ doc, onDelete }: { doc: DocumentOut; onDelete: () => void }) {
  const [confirming, setConfirming] = useState(false);
  useEffect(() => {
    if (!confirming) return undefined;
    const timer = window.setTimeout(() => setConfirming(false), 3000);
    return () => clearTimeout(timer);
  }, [confirming]);
  return (
    <li className="document">
      <Icon name="file" size={18} />
      <div className="document-main">
        <span className="document-name" title={doc.source_name}>
          {doc.source_name}
        </span>
        <span className="document-meta">
          {doc.content_type} · {formatSize(doc.size)} · {doc.chunks} passage{doc.chunks === 1 ? '' : 's'} · {formatDate(doc.created)}
        </span>
        {doc.status === 'failed' && doc.error && <span className="document-error">{doc.error}</span>}
      </div>
      <span className={`badge badge-${doc.status}`}>{doc.status}</span>
      {confirming ? (
        <button type="button" className="button danger small" onClick={onDelete} autoFocus>
          Delete
        </button>
      ) : (
        <button type="button" className="icon-button" aria-label={`Delete ${doc.source_name}`} title="Delete" onClick={() => setConfirming(true)}>
          <Icon name="trash" size={16} />
        </button>
      )}
    </li>
  );
}
