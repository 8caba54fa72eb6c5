// A person's first visit to the web admin, in Debian's Chromium:
// sign in with the one-time password, choose a password, add an extension
// and read the SIP password the page shows once.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_ONE_TIME_PASSWORD,
// EDGEPBX_NEW_PASSWORD, EDGEPBX_EXTENSION. Output: one JSON object on
// stdout. tests/test_browser.py runs it against a real appliance.
import { baseUrl, firstPage, required, runDriver } from "./chromium.mjs";

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

runDriver(async (context) => {
  const consoleErrors = [];
  const page = await firstPage(context);
  page.on("console", (message) => {
    if (message.type() === "error") {
      consoleErrors.push(message.text());
    }
  });
  const result = await firstVisit(
    page,
    baseUrl(),
    required("EDGEPBX_ONE_TIME_PASSWORD"),
    required("EDGEPBX_NEW_PASSWORD"),
    required("EDGEPBX_EXTENSION"),
  );
  return { ...result, consoleErrors };
});
