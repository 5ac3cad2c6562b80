// A service's secrets: one file per secret (SECRETS_DIR), or HashiCorp Vault KV v2 (VAULT_ADDR).
export { openSecrets, directorySource, SecretsConfig, SecretError, DEFAULT_VAULT_KV_MOUNT } from './secrets.ts';
export type { Secrets, SecretSource, FileVariable, OpenSecretsOptions } from './secrets.ts';
export { vaultKv2Source, type VaultOptions } from './vault.ts';
