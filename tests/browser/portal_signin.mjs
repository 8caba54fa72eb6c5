// An extension's user in the user portal, in Debian's Chromium: sign in
// with the extension number and the one-time password, choose a password,
// see their own extension, and add a personal contact.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_NUMBER,
// EDGEPBX_ONE_TIME_PASSWORD, EDGEPBX_NEW_PASSWORD. Output: one JSON object
// on stdout. tests/test_browser.py runs it against a real appliance.
import { baseUrl, firstPage, required, runDriver } from "./chromium.mjs";

async function portalVisit(page, base, number, oneTimePassword, newPassword) {
  // Step 1: sign in with the extension number.
  await page.goto(`${base}/signin`);
  await page.fill("#username", number);
  await page.fill("#password", oneTimePassword);
  await page.click("button[type=submit]");

  // Step 2: choose a password; the portal follows.
  await page.waitForURL("**/password");
  const passwordUrl = page.url();
  await page.fill("#current_password", oneTimePassword);
  await page.fill("#new_password", newPassword);
  await page.fill("#confirm_password", newPassword);
  await page.click("form.stacked button[type=submit]");
  await page.waitForURL("**/portal?notice=password-changed");
  const portalUrl = page.url();
  const profile = await page.textContent("#profile");
  const adminLinks = await page.locator('a[href="/extensions"]').count();

  // Step 3: add a personal contact.
  await page.goto(`${base}/portal/contacts`);
  await page.fill("#contact-name", "Plumber");
  await page.fill("#contact-company", "Pipes Ltd");
  await page.fill("#contact-number", "555 123");
  await page.click("form[action='/portal/contacts/add'] button[type=submit]");
  await page.waitForURL("**/portal/contacts?notice=contact-added");
  const contacts = await page.$$eval("table.contacts tbody tr", (rows) =>
    rows.map((row) => [...row.querySelectorAll("td")].slice(0, 3).map((c) => c.textContent.trim())),
  );
  return { passwordUrl, portalUrl, profile, adminLinks, contacts };
}

runDriver(async (context) => {
  const consoleErrors = [];
  const page = await firstPage(context);
  page.on("console", (message) => {
    if (message.type() === "error") {
      consoleErrors.push(message.text());
    }
  });
  const result = await portalVisit(
    page,
    baseUrl(),
    required("EDGEPBX_NUMBER"),
    required("EDGEPBX_ONE_TIME_PASSWORD"),
    required("EDGEPBX_NEW_PASSWORD"),
  );
  return { ...result, consoleErrors };
});
