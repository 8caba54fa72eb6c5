// The System page's uploads in Debian's Chromium: a firmware bundle signed
// by an unknown key is refused with its reason, a good one is checked,
// confirmed and installed; a sealed backup is refused
// with a wrong passphrase, then taken with the right one, confirmed, and
// once the box has started again the extensions are the backup's.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION, EDGEPBX_BUNDLE (an
// untrusted bundle), EDGEPBX_GOOD_BUNDLE, EDGEPBX_BACKUP (a sealed backup), EDGEPBX_PASSPHRASE.
// Output: one JSON object on stdout. tests/test_web_system_uploads.py runs it.
import { baseUrl, required, runDriver, signedInPage } from "./chromium.mjs";

// A restore stops every daemon and starts them again; on a busy machine
// that has taken over 20 s (tests/pbx.py), so wait up to this long.
const BACK_WITHIN_MS = 120000;
const RETRY_MS = 1000;

async function submitAndWait(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

// An upload form is sent by the page's script (webadmin/static/upload.js),
// which shows a refusal in place and follows a redirect: wait for what the
// answer shows instead of a navigation.
async function upload(page, selector, shown) {
  await page.click(selector);
  await page.waitForSelector(shown);
}

// True once a request to the web admin fails: the agent has stopped it.
async function answers(page, url) {
  try {
    const reply = await page.goto(url);
    return Boolean(reply && reply.status() === 200);
  } catch {
    return false;
  }
}

async function extensionsWhenBack(page, base) {
  // First the web admin goes away (the agent stops every daemon to restore),
  // then it comes back with the restored data.
  const gone = Date.now() + BACK_WITHIN_MS;
  while (await answers(page, `${base}/system`)) {
    if (Date.now() > gone) {
      throw new Error("the web admin never stopped for the restore");
    }
    await page.waitForTimeout(RETRY_MS / 4);
  }
  const deadline = Date.now() + BACK_WITHIN_MS;
  while (Date.now() < deadline) {
    try {
      const reply = await page.goto(`${base}/extensions`);
      if (reply && reply.status() === 200) {
        return (await page.locator("table.list tbody").innerText()).replace(/\s+/g, " ");
      }
    } catch {
      // The web admin is stopped while the backup is restored.
    }
    await page.waitForTimeout(RETRY_MS);
  }
  throw new Error(`the web admin did not answer within ${BACK_WITHIN_MS} ms`);
}

runDriver(async (context) => {
  const base = baseUrl();
  const page = await signedInPage(context);

  // Step 1: a bundle no trusted key signed.
  await page.goto(`${base}/system`);
  await page.setInputFiles("#firmware_bundle", required("EDGEPBX_BUNDLE"));
  await upload(
    page,
    "form[action='/system/firmware'] button[type=submit]",
    "#firmware_bundle-error",
  );
  const bundleError = await page.textContent("#firmware_bundle-error");

  // Step 2: a good bundle, checked, confirmed and installed.
  await page.setInputFiles("#firmware_bundle", required("EDGEPBX_GOOD_BUNDLE"));
  await upload(
    page,
    "form[action='/system/firmware'] button[type=submit]",
    "#firmware-confirm",
  );
  const bundleConfirmation = await page.textContent("#firmware-confirm");
  await submitAndWait(page, "#firmware-install");
  const installed = await page.textContent("#installed");
  await page.goto(`${base}/system`);

  // Step 3: the sealed backup with a wrong passphrase.
  await page.fill("#restore_passphrase", "not the passphrase at all");
  await page.setInputFiles("#restore_backup", required("EDGEPBX_BACKUP"));
  await upload(
    page,
    "form[action='/system/restore'] button[type=submit]",
    "#restore_passphrase-error",
  );
  const passphraseError = await page.textContent("#restore_passphrase-error");
  const confirmShownEarly = await page.locator("#restore-confirm").count();

  // Step 4: the right passphrase, the confirmation, the restore.
  await page.fill("#restore_passphrase", required("EDGEPBX_PASSPHRASE"));
  await page.setInputFiles("#restore_backup", required("EDGEPBX_BACKUP"));
  await upload(
    page,
    "form[action='/system/restore'] button[type=submit]",
    "#restore-confirm",
  );
  const confirmation = await page.textContent("#restore-confirm");
  await submitAndWait(page, "#restore-now");
  const restoring = await page.textContent("#restoring");
  const extensions = await extensionsWhenBack(page, base);

  return {
    bundleError,
    bundleConfirmation,
    installed,
    passphraseError,
    confirmShownEarly,
    confirmation,
    restoring,
    extensions,
  };
});
