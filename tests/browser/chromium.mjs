// What every browser driver here shares: Debian's Chromium launched headless
// with a fresh profile, its required inputs from the environment, and the
// way it reports (one JSON object on stdout, a stack on failure, exit 1).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.EDGEPBX_CHROMIUM || "/usr/bin/chromium";
// Nothing here should take long; a stuck step fails the test instead of hanging it.
export const STEP_TIMEOUT_MS = 15000;
// No background traffic: the machines this runs on reach no outside host.
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

export function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

// The appliance's address, without a trailing slash.
export function baseUrl() {
  return required("EDGEPBX_URL").replace(/\/$/, "");
}

// Run drive(context) in a new browser with an empty profile, print what it
// returns as JSON, and leave nothing behind; a failure exits with 1.
export function runDriver(drive, contextOptions = {}) {
  main(drive, contextOptions).catch((error) => {
    console.error(`browser test failed: ${error.stack || error}`);
    process.exit(1);
  });
}

async function main(drive, contextOptions) {
  const userDataDir = mkdtempSync(join(tmpdir(), "edgepbx-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    // The appliance's certificate is self-signed and the test talks to
    // 127.0.0.1 only; the Python tests check the certificate itself.
    ignoreHTTPSErrors: true,
    ...contextOptions,
  });
  try {
    console.log(JSON.stringify(await drive(context)));
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

// The page a new profile opens with, with the step timeout set.
export async function firstPage(context) {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  return page;
}

// The first page of a browser signed in to the web admin with the session
// that EDGEPBX_SESSION names (the cookie the web admin sets at sign-in).
export async function signedInPage(context) {
  await context.addCookies([
    {
      name: "__Host-edgepbx_session",
      value: required("EDGEPBX_SESSION"),
      url: `${baseUrl()}/`,
      secure: true,
      httpOnly: true,
      sameSite: "Strict",
    },
  ]);
  return firstPage(context);
}
