// Uploads with progress: fetch cannot report upload progress, XMLHttpRequest can.

import { answer, api, auth, authHeaders } from './client';
import { ApiError } from './errors';
import type { Job, UploadResult } from './types';
import { checked } from './validate';

export interface UploadHandle {
  promise: Promise<{ status: number; body: UploadResult }>;
  abort(): void;
}

export function uploadDocument(file: File, collection: string, onProgress: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<{ status: number; body: UploadResult }>((resolve, reject) => {
    const form = new FormData();
    form.append('file', file, file.name);
    if (collection) form.append('collection', collection);
    xhr.open('POST', '/documents');
    xhr.responseType = 'text';
    xhr.setRequestHeader('Accept', 'application/json');
    for (const [name, value] of Object.entries(authHeaders('POST'))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        // 201 stored, 200 already there, 202 ingesting in the background: the same shape.
        try {
          resolve({ status: xhr.status, body: answer(() => checked('UploadOut', body)) });
        } catch (error) {
          reject(error);
        }
      } else {
        const error = ApiError.fromBody(xhr.status, body, xhr.getResponseHeader('Retry-After'));
        if (error.status === 401) auth.expired();
        reject(error);
      }
    };
    xhr.onerror = () => reject(ApiError.network('The upload was interrupted: cannot reach the Vega server.'));
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

/** Poll a background ingest until it is done or failed. */
export async function waitForJob(
  jobId: string,
  onProgress: (job: Job) => void,
  signal?: AbortSignal,
  intervalMs = 800,
): Promise<Job> {
  for (;;) {
    if (signal?.aborted) throw new DOMException('Stopped', 'AbortError');
    const job = await api.job(jobId);
    onProgress(job);
    if (job.status === 'done' || job.status === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
