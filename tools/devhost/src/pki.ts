// The devhost's PKI: a dev CA (ECDSA P-256) made at first start and kept in <data-dir>/pki
// (key 0600, directory 0700), and short-lived instance certificates it signs, each naming
// its service as a SPIFFE id (URI SAN) and its instance id as subject CN (the gateway's also names
// localhost and 127.0.0.1: it terminates users' TLS with it).
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { spiffeId } from '@souk/chassis/spiffe';
import { ensurePrivateDir } from './data-dir.ts';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const CA_LIFETIME_MS = 365 * 24 * 3600_000;
/** Certificates start a minute in the past: clocks of the processes need not agree to the millisecond. */
const BACKDATE_MS = 60_000;
export const DEFAULT_CERT_LIFETIME_MS = 24 * 3600_000;

export interface DevCa {
  /** PEM of the CA certificate: what every instance trusts. */
  certPem: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  /** Where the CA certificate is (for TLS_CA_FILE). */
  caFile: string;
  /** True when this call made a new CA. */
  created: boolean;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/** The three files an instance reads (TLS_CERT_FILE, TLS_KEY_FILE, TLS_CA_FILE). */
export interface TlsPaths {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** The CA in `dir`, reused when present and valid for another day, else made anew. */
export async function ensureDevCa(dir: string, now: Date = new Date()): Promise<DevCa> {
  await ensurePrivateDir(dir);
  const caFile = path.join(dir, 'ca.pem');
  const keyFile = path.join(dir, 'ca-key.pem');
  const existing = await loadCa(caFile, keyFile);
  if (existing && existing.cert.notAfter.getTime() - now.getTime() > 24 * 3600_000)
    return { ...existing, caFile, created: false };
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const name = `CN=souk dev CA ${randomBytes(4).toString('hex')}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  // The key first: a CA certificate without its key would be taken for a complete CA next time.
  await writeAtomic(keyFile, await privateKeyPem(keys.privateKey), 0o600);
  const certPem = cert.toString('pem') + '\n';
  await writeAtomic(caFile, certPem, 0o644);
  return { certPem, cert, keys, caFile, created: true };
}

async function loadCa(caFile: string, keyFile: string): Promise<Omit<DevCa, 'caFile' | 'created'> | undefined> {
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([readFile(caFile, 'utf8'), readFile(keyFile, 'utf8')]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const cert = new x509.X509Certificate(certPem);
  const der = Buffer.from(keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', cert.publicKey.rawData, ALGORITHM, true, ['verify']);
  return { certPem, cert, keys: { privateKey, publicKey } };
}

export interface IssueRequest {
  service: string;
  /** Subject CN: the instance the certificate belongs to. */
  instanceId: string;
  lifetimeMs: number;
  now?: Date;
  /** Names a browser checks (DNS names, IPv4 addresses) for a certificate that also serves users: the gateway's. */
  hostnames?: readonly string[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** A new key pair and a certificate for it, signed by the CA. */
export async function issueCertificate(ca: DevCa, request: IssueRequest): Promise<IssuedCertificate> {
  const now = request.now ?? new Date();
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const notAfter = new Date(now.getTime() + request.lifetimeMs);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${request.instanceId}`,
    issuer: ca.cert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(
        [
          { type: 'url', value: spiffeId(request.service) },
          ...(request.hostnames ?? []).map((name) => ({
            type: IPV4.test(name) ? ('ip' as const) : ('dns' as const),
            value: name,
          })),
        ],
        true,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem: await privateKeyPem(keys.privateKey),
    serial: cert.serialNumber,
    notBefore,
    notAfter,
  };
}

/**
 * Writes an instance's files into `dir` (0700): the key first, then the certificate, each by rename,
 * so a watcher never reads half a file and sees the new pair complete once the certificate lands.
 */
export async function writeTlsFiles(dir: string, ca: DevCa, issued: IssuedCertificate): Promise<TlsPaths> {
  await ensurePrivateDir(dir);
  const paths = tlsPathsIn(dir);
  await writeAtomic(paths.caFile, ca.certPem, 0o644);
  await writeAtomic(paths.keyFile, issued.keyPem, 0o600);
  await writeAtomic(paths.certFile, issued.certPem, 0o644);
  return paths;
}

/** Where an instance's three files are in its folder. */
export function tlsPathsIn(dir: string): TlsPaths {
  return { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem'), caFile: path.join(dir, 'ca.pem') };
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

/** 16 random bytes, the first below 0x80 so that the DER integer stays positive. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, { mode });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
