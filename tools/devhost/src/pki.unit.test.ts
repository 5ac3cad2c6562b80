// The dev CA and instance certificates: what an instance's certificate says (SAN, CN,
// lifetime, key), that it chains to the CA, that the CA is reused, and the files' modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDevCa, issueCertificate, writeTlsFiles } from './pki.ts';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'souk-pki-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('an instance certificate names the service as a SPIFFE id, the instance as CN, and lives as long as asked', () =>
  withDir(async (dir) => {
    const ca = await ensureDevCa(path.join(dir, 'pki'));
    const now = new Date('2026-01-01T00:00:00Z');
    const issued = await issueCertificate(ca, { service: 'orders', instanceId: 'orders-2', lifetimeMs: 3600_000, now });
    const cert = new X509Certificate(issued.certPem);
    assert.equal(cert.subjectAltName, 'URI:spiffe://souk.local/orders');
    assert.equal(cert.subject, 'CN=orders-2');
    assert.equal(new Date(cert.validTo).getTime(), now.getTime() + 3600_000);
    assert.ok(new Date(cert.validFrom).getTime() <= now.getTime());
    assert.equal(cert.ca, false);
    assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey), 'signed by the CA');
    assert.ok(cert.checkIssued(new X509Certificate(ca.certPem)));
    const key = createPrivateKey(issued.keyPem);
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(cert.checkPrivateKey(key), 'the key belongs to the certificate');
    const other = await issueCertificate(ca, { service: 'orders', instanceId: 'orders-2', lifetimeMs: 3600_000, now });
    assert.notEqual(other.serial, issued.serial);
  }));

test('the CA is made once, is an ECDSA P-256 CA, and is reused at the next start', () =>
  withDir(async (dir) => {
    const pki = path.join(dir, 'pki');
    const first = await ensureDevCa(pki);
    assert.equal(first.created, true);
    const caCert = new X509Certificate(first.certPem);
    assert.equal(caCert.ca, true);
    assert.equal(caCert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const second = await ensureDevCa(pki);
    assert.equal(second.created, false);
    assert.equal(second.certPem, first.certPem);
    // The reused CA still signs: its key was read back.
    const issued = await issueCertificate(second, { service: 'cart', instanceId: 'cart-1', lifetimeMs: 60_000 });
    assert.ok(new X509Certificate(issued.certPem).verify(caCert.publicKey));
    assert.equal((await stat(pki)).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(pki, 'ca-key.pem'))).mode & 0o777, 0o600);
  }));

test("an instance's files: key 0600 in a 0700 folder, and the CA beside them", () =>
  withDir(async (dir) => {
    const ca = await ensureDevCa(path.join(dir, 'pki'));
    const issued = await issueCertificate(ca, { service: 'cart', instanceId: 'cart-1', lifetimeMs: 60_000 });
    const paths = await writeTlsFiles(path.join(dir, 'pki', 'instances', 'cart-1'), ca, issued);
    assert.equal((await stat(path.dirname(paths.keyFile))).mode & 0o777, 0o700);
    assert.equal((await stat(paths.keyFile)).mode & 0o777, 0o600);
    assert.equal(await readFile(paths.certFile, 'utf8'), issued.certPem);
    assert.equal(await readFile(paths.caFile, 'utf8'), ca.certPem);
  }));
