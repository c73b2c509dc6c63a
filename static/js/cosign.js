// Co-signing in the browser: the bytes that audits/bls.py and `decide-keys sign` produce.
//
// BLS12-381 with signatures in G2 and public keys in G1, ciphersuite
// BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_ (py-ecc's G2ProofOfPossession), through the
// vendored @noble/curves. The signed message is "decide/cosign/v1\0" followed by the document's
// 32-byte SHA-256 digest (docs/FORMATS.md). Nothing here touches the page or the network: the
// page script (sign-page.js) reads the key file and sends only the signature record.

import { bls12_381 } from "../vendor/noble-curves-2.4.0/bls12-381.js";
import { sha256 } from "../vendor/noble-hashes-2.4.0/sha2.js";

export const SIGNATURE_DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
const COSIGN_DOMAIN = "decide/cosign/v1\u0000";
const FINGERPRINT_DOMAIN = "decide/key-fingerprint/v1\u0000";
const PRIVATE_KEY_TYPE = "decide-bls-private-key/v1";
const SIGNATURE_TYPE = "decide-signature/v1";
const CURVE_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const scheme = bls12_381.longSignatures;

/** A key file or digest we cannot use; the message is shown to the member as it is. */
export class CosignError extends Error {}

function bytesFromHex(text, size, what) {
  if (typeof text !== "string" || text.length !== 2 * size || !/^[0-9a-f]*$/.test(text)) {
    throw new CosignError(`${what} must be ${2 * size} lowercase hexadecimal characters.`);
  }
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Return bytes as lowercase hexadecimal. */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Return the SHA-256 of some bytes in hexadecimal (a document's digest is that of its file). */
export function sha256Hex(bytes) {
  return toHex(sha256(bytes));
}

/** Return a public key's short fingerprint, like 7K2F-9QXM-A4D1-B8CE (as audits.bls prints it). */
export function fingerprint(publicKey) {
  const digest = sha256(concat(new TextEncoder().encode(FINGERPRINT_DOMAIN), publicKey));
  let number = 0n;
  for (const b of digest.slice(0, 10)) number = (number << 8n) | BigInt(b);
  let letters = "";
  for (let i = 15; i >= 0; i -= 1) letters += CROCKFORD[Number((number >> BigInt(5 * i)) & 31n)];
  return letters.match(/.{4}/g).join("-");
}

/** Read a private key file written by `decide-keys new`; throw CosignError if it is not one. */
export function readKeyFile(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CosignError("This file is not JSON: choose the .key.json file that decide-keys wrote.");
  }
  if (data === null || typeof data !== "object" || data.type !== PRIVATE_KEY_TYPE) {
    throw new CosignError(
      `This is not a private key file (its type must be ${PRIVATE_KEY_TYPE}). ` +
        "Choose the .key.json file, not the .pub.json one.",
    );
  }
  if (typeof data.name !== "string" || !data.name.trim()) {
    throw new CosignError("The key file has no name.");
  }
  const secretKey = bytesFromHex(data.secret_key, 32, "The key file's secret_key");
  const scalar = BigInt("0x" + data.secret_key);
  if (scalar === 0n || scalar >= CURVE_ORDER) {
    throw new CosignError("The key file's secret key is out of range.");
  }
  const publicKey = scheme.getPublicKey(secretKey).toBytes(true);
  return { name: data.name, secretKey, publicKey, fingerprint: fingerprint(publicKey) };
}

/** Sign a document digest (64 hex) with a key from readKeyFile; return the signature record. */
export function signDigest(key, documentType, digestHex) {
  const digest = bytesFromHex(digestHex, 32, "The document digest");
  const message = concat(new TextEncoder().encode(COSIGN_DOMAIN), digest);
  const signature = scheme.sign(scheme.hash(message, SIGNATURE_DST), key.secretKey);
  return {
    type: SIGNATURE_TYPE,
    signer: key.name,
    public_key: toHex(key.publicKey),
    document_type: documentType,
    digest: digestHex,
    signature: scheme.Signature.toHex(signature),
  };
}

/** Overwrite a key's secret bytes once they are no longer needed. */
export function forget(key) {
  key.secretKey.fill(0);
}
