// A person's first visit to the web admin, in Debian's Chromium:
// sign in with the one-time password, choose a password, go through the
// installation wizard (adding the first extension there), then add another
// extension and read the SIP passwords the pages show once.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_ONE_TIME_PASSWORD,
// EDGEPBX_NEW_PASSWORD, EDGEPBX_EXTENSION, EDGEPBX_FIRST_EXTENSION.
// Output: one JSON object on stdout. tests/test_browser.py runs it against
// a real appliance.
import { baseUrl, firstPage, required, runDriver } from "./chromium.mjs";

async function firstVisit(page, base, oneTimePassword, newPassword, number, first) {
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

  // Step 3: the installation wizard: time zone, network, mail (skipped
  // here), and the first extension, whose SIP password it shows once.
  await page.waitForURL("**/setup/timezone");
  const wizardUrl = page.url();
  await page.selectOption("#timezone", "Europe/Berlin");
  await page.click("form.stacked button[type=submit]");
  await page.waitForURL("**/setup/network");
  const networkShown = await page.isVisible("#network");
  await page.click("form.stacked button[type=submit]");
  await page.waitForURL("**/setup/mail");
  await page.click("#mail-next");
  await page.waitForURL("**/setup/extensions");
  await page.fill("#number_0", first);
  await page.fill("#display_name_0", "Wizard test");
  await page.click("#extensions-add");
  const firstSipPassword = (await page.textContent("code.sip-password")).trim();
  await page.click("#setup-finish");
  await page.waitForURL("**/extensions");

  // Step 4: add an extension and read the SIP password shown once.
  await page.click("text=New extension");
  await page.fill("#number", number);
  await page.fill("#display_name", "Browser test");
  await page.click("form.stacked button[type=submit]");
  const sipPassword = (await page.textContent("#sip-password")).trim();
  const copyVisible = await page.isVisible("button.copy");

  // Step 5: the list shows both.
  await page.goto(`${base}/extensions`);
  const listed = await page.$$eval("table.list tbody tr td:first-child", (cells) =>
    cells.map((cell) => cell.textContent.trim()),
  );
  return {
    signInUrl,
    passwordUrl,
    wizardUrl,
    networkShown,
    firstSipPassword,
    sipPassword,
    copyVisible,
    listed,
  };
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
    required("EDGEPBX_FIRST_EXTENSION"),
  );
  return { ...result, consoleErrors };
});
