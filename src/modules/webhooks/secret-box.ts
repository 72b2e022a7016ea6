/**
 * Secrets kept in the database, encrypted with AES-256-GCM (webhook signing secrets). The key is
 * derived (HKDF-SHA256) from ENCRYPTION_KEY, or, when that is unset, from a key generated once and
 * stored in the database (instance_secrets) — then a dump of the database alone reveals the
 * secrets, which is why production should set ENCRYPTION_KEY. A sealed value names the key that
 * sealed it, so values sealed before ENCRYPTION_KEY was set still open afterwards.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

export type SecretBox = {
  seal(plain: string): Promise<string>;
  open(sealed: string): Promise<string>;
};

type Key = { id: string; bytes: Buffer };

function deriveKey(material: string): Key {
  const bytes = Buffer.from(hkdfSync('sha256', material, 'syllabus', 'database secrets v1', 32));
  return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 12), bytes };
}

const b64 = (b: Buffer) => b.toString('base64url');

/**
 * `configured`: ENCRYPTION_KEY or undefined; `stored`: the database's own key material (asked for
 * only when needed: sealing without ENCRYPTION_KEY, or opening a value it sealed).
 */
export function createSecretBox(configured: string | undefined, stored: () => Promise<string>): SecretBox {
  const configuredKey = configured === undefined ? undefined : deriveKey(configured);
  let storedKey: Promise<Key> | undefined;
  const fallback = () =>
    (storedKey ??= stored()
      .then(deriveKey)
      .catch((err: unknown) => {
        storedKey = undefined;
        throw err;
      }));
  const sealingKey = async () => configuredKey ?? fallback();

  return {
    async seal(plain) {
      const key = await sealingKey();
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', key.id, b64(iv), b64(data), b64(cipher.getAuthTag())].join('.');
    },
    async open(sealed) {
      const [version, keyId, iv, data, tag] = sealed.split('.');
      if (version !== 'v1' || !keyId || !iv || data === undefined || !tag) throw new Error('not a sealed secret');
      const key = configuredKey?.id === keyId ? configuredKey : await fallback();
      if (key.id !== keyId) {
        throw new Error('this secret was sealed with another encryption key (was ENCRYPTION_KEY changed?)');
      }
      const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
