// The instance's certificate, key and CA from TLS_CERT_FILE / TLS_KEY_FILE / TLS_CA_FILE,
// reloaded when the files change (the devhost or a Kubernetes secret volume replaces them
// by rename): the server takes the new context and new outgoing connections use it, while
// open connections finish on the old one.

import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { Log } from '../discovery/types.ts';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** What a TLS server of the instance is built with: mutual TLS against the CA. */
export interface ServerTlsOptions {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  requestCert: true;
  rejectUnauthorized: true;
}

export interface ServiceTls {
  readonly files: TlsFiles;
  /** Bumped at each rotation: a connector seeing another value rebuilds with the new context. */
  readonly generation: number;
  /** Hexadecimal serial number of the certificate in use. */
  readonly serial: string;
  serverOptions(): ServerTlsOptions;
  /** The context new outgoing connections use (certificate, key and CA). */
  clientContext(): SecureContext;
  /** Calls `fn` after each rotation; returns the unsubscribe. */
  onRotate(fn: () => void): () => void;
  /** Stops watching the files. */
  close(): void;
}

interface Material {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  context: SecureContext;
  serial: string;
}

/** Changes arrive as a burst (key, then certificate, each a rename): one reload after the burst. */
const SETTLE_MS = 50;

async function readMaterial(files: TlsFiles): Promise<Material> {
  const [cert, key, ca] = await Promise.all([readFile(files.certFile), readFile(files.keyFile), readFile(files.caFile)]);
  // Throws on a key that does not belong to the certificate (a rotation caught half way).
  const context = createSecureContext({ cert, key, ca });
  return { cert, key, ca, context, serial: new X509Certificate(cert).serialNumber.toLowerCase() };
}

/** Reads the three files (they must form a valid identity) and watches their directories. */
export async function loadServiceTls(files: TlsFiles, log: Log): Promise<ServiceTls> {
  let material = await readMaterial(files);
  let generation = 0;
  const listeners = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;
  let reloading = false;
  let again = false;

  async function reload(): Promise<void> {
    if (reloading) return void (again = true);
    reloading = true;
    try {
      const next = await readMaterial(files);
      if (next.cert.equals(material.cert) && next.key.equals(material.key) && next.ca.equals(material.ca)) return;
      material = next;
      generation++;
      log.info({ serial: next.serial }, 'TLS certificate rotated');
      for (const fn of listeners) fn();
    } catch (err) {
      // Half-replaced files: the next change event completes the set.
      log.debug({ err }, 'TLS files not loadable yet; keeping the current certificate');
    } finally {
      reloading = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }

  function schedule(): void {
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), SETTLE_MS);
    timer.unref();
  }

  const names = new Set([files.certFile, files.keyFile, files.caFile].map((f) => path.basename(f)));
  const watchers: FSWatcher[] = [...new Set([files.certFile, files.keyFile, files.caFile].map((f) => path.dirname(f)))].map(
    (dir) => {
      // The directory, not the files: a rename replaces the inode a file watch would follow.
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || names.has(String(name))) schedule();
      });
      watcher.on('error', (err) => log.warn({ err, dir }, 'watching the TLS files failed; rotation needs a restart'));
      return watcher;
    },
  );

  // A change between the first read and the watch starting would be missed: look once more now.
  schedule();

  return {
    files,
    get generation() {
      return generation;
    },
    get serial() {
      return material.serial;
    },
    serverOptions: () => ({
      cert: material.cert,
      key: material.key,
      ca: material.ca,
      requestCert: true,
      rejectUnauthorized: true,
    }),
    clientContext: () => material.context,
    onRotate(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
      listeners.clear();
    },
  };
}
