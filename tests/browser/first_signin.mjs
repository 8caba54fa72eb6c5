// A person's first visit to the web admin, in Debian's Chromium:
// sign in with the one-time password, choose a password, add an extension
// and read the SIP password the page shows once.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_ONE_TIME_PASSWORD,
// EDGEPBX_NEW_PASSWORD, EDGEPBX_EXTENSION. Output: one JSON object on
// stdout. tests/test_browser.py runs it against a real appliance.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.EDGEPBX_CHROMIUM || "/usr/bin/chromium";
// Nothing here should take long; a stuck step fails the test instead of hanging it.
const STEP_TIMEOUT_MS = 15000;
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

async function firstVisit(page, base, oneTimePassword, newPassword, number) {
  // Step 1: any page sends an anonymous visitor to the sign-in form.
  await page.goto(`${base}/extensions`);
  const signInUrl = page.url();
  await page.fill("#username", "admin");
  await page.fill("#password", oneTimePassword);
  await page.click("button[type=submit]");

  // Step 2: the one-time password must be replaced before anything else.
  await page.waitForURL("**/password");
  const passwordUrl = page.url();
  await page.fill("#current_password", oneTimePassword);
  await page.fill("#new_password", newPassword);
  await page.fill("#confirm_password", newPassword);
  await page.click("form.stacked button[type=submit]");
  await page.waitForURL("**/extensions?notice=password-changed");

  // Step 3: add an extension and read the SIP password shown once.
  await page.click("text=New extension");
  await page.fill("#number", number);
  await page.fill("#display_name", "Browser test");
  await page.click("form.stacked button[type=submit]");
  const sipPassword = (await page.textContent("#sip-password")).trim();
  const copyVisible = await page.isVisible("button.copy");

  // Step 4: the list shows it.
  await page.goto(`${base}/extensions`);
  const listed = await page.$$eval("table.list tbody tr td:first-child", (cells) =>
    cells.map((cell) => cell.textContent.trim()),
  );
  return { signInUrl, passwordUrl, sipPassword, copyVisible, listed };
}

async function main() {
  const base = required("EDGEPBX_URL").replace(/\/$/, "");
  const userDataDir = mkdtempSync(join(tmpdir(), "edgepbx-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    // The appliance's certificate is self-signed and the test talks to
    // 127.0.0.1 only; the Python tests check the certificate itself.
    ignoreHTTPSErrors: true,
  });
  const consoleErrors = [];
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on("console", (message) => {
      if (message.type() === "error") {
        consoleErrors.push(message.text());
      }
    });
    const result = await firstVisit(
      page,
      base,
      required("EDGEPBX_ONE_TIME_PASSWORD"),
      required("EDGEPBX_NEW_PASSWORD"),
      required("EDGEPBX_EXTENSION"),
    );
    console.log(JSON.stringify({ ...result, consoleErrors }));
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`browser test failed: ${error.stack || error}`);
  process.exit(1);
});
