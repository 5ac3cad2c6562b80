// Private signing keys are stored encrypted (AES-256-GCM) under a
// key-encryption key that lives outside the database, in a secret file.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const KEK_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';

/** Decodes the key-encryption key file's content (32 bytes, base64); `source` names it in errors. */
export function parseKeyEncryptionKey(content: string, source: string): Buffer {
  const text = content.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    throw new Error(`${source}: expected 32 bytes encoded as base64`);
  }
  const key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== KEK_BYTES) {
    throw new Error(`${source}: expected 32 bytes encoded as base64, got ${key.length} bytes`);
  }
  return key;
}

/**
 * Encrypts `plaintext`; the key id is bound in as associated data, so a
 * ciphertext copied onto another key's row fails to decrypt.
 */
export function encryptSecret(kek: Buffer, kid: string, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
  return [FORMAT, ...parts].join('.');
}

/** Decrypts what `encryptSecret` produced; throws when the key, key id or data do not match. */
export function decryptSecret(kek: Buffer, kid: string, sealed: string): string {
  const [format, iv, tag, ciphertext, ...rest] = sealed.split('.');
  if (format !== FORMAT || iv === undefined || tag === undefined || ciphertext === undefined || rest.length > 0) {
    throw new Error(`signing key ${kid}: unknown encrypted format`);
  }
  const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(kid, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new Error(`signing key ${kid}: cannot decrypt (wrong IDENTITY_KEY_ENCRYPTION_KEY_FILE?)`, { cause });
  }
}
