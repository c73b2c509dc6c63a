// The sign page's browser signing (templates/publication/_browser_sign.html).
// Reads the member's private key file on this device, checks that the document the page offers
// has the digest shown, signs that digest (cosign.js), and posts only the signature record
// through the page's ordinary upload form. The key file's content is never sent anywhere.

import { CosignError, forget, readKeyFile, sha256Hex, signDigest, toHex } from "./cosign.js";

const box = document.getElementById("browser-sign");

async function signAndSend(data, file) {
  let key = null;
  try {
    key = readKeyFile(await file.text());
    if (toHex(key.publicKey) !== data.publicKey) {
      throw new CosignError(
        `This key file (fingerprint ${key.fingerprint}) is not the key you registered for this ` +
          `round (fingerprint ${data.fingerprint}). Choose the .key.json file of that key.`,
      );
    }
    const response = await fetch(data.documentUrl, { credentials: "same-origin" });
    if (!response.ok) {
      throw new CosignError(`The ${data.what} could not be downloaded to check it. Try again.`);
    }
    const digest = sha256Hex(new Uint8Array(await response.arrayBuffer()));
    if (digest !== data.digest) {
      throw new CosignError(
        `The ${data.what} downloaded here has the digest ${digest.slice(0, 16)}…, not the one ` +
          "shown above, so it was not signed. Tell the facilitator.",
      );
    }
    return signDigest(key, data.documentType, data.digest);
  } finally {
    if (key) forget(key);
  }
}

if (box) {
  const input = document.getElementById("browser-key-file");
  const button = document.getElementById("browser-sign-button");
  const message = document.getElementById("browser-sign-message");
  const say = (text, isError) => {
    message.textContent = text;
    message.classList.toggle("field-error", Boolean(isError));
  };
  box.hidden = false;
  button.addEventListener("click", async () => {
    const file = input.files[0];
    if (!file) {
      say("Choose your private key file first.", true);
      input.focus();
      return;
    }
    button.disabled = true;
    say(`Checking the ${box.dataset.what} and signing it…`);
    try {
      const record = await signAndSend(box.dataset, file);
      document.getElementById("browser-signature-json").value = JSON.stringify(record);
      say("Signed. Sending your signature…");
      document.getElementById("browser-sign-form").submit();
    } catch (error) {
      say(error instanceof CosignError ? error.message : `Signing failed: ${error.message}`, true);
      button.disabled = false;
    }
  });
}
