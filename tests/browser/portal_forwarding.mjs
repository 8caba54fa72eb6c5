// An extension's user sets their own forwarding in the user portal, in
// Debian's Chromium: sign in, follow the portal's "Forwarding" link, type a
// target that is no number (the refusal shows beside that field), then a
// colleague's extension and do-not-disturb, and save.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_NUMBER,
// EDGEPBX_ONE_TIME_PASSWORD, EDGEPBX_NEW_PASSWORD, EDGEPBX_TARGET, and
// optionally EDGEPBX_SCREENSHOT (a PNG of the refused form). Output: one
// JSON object on stdout. tests/test_forwarding_web.py runs it.
import { baseUrl, firstPage, required, runDriver } from "./chromium.mjs";

async function setForwarding(page, base, number, oneTimePassword, newPassword, target) {
  // Step 1: sign in and choose a password.
  await page.goto(`${base}/signin`);
  await page.fill("#username", number);
  await page.fill("#password", oneTimePassword);
  await page.click("button[type=submit]");
  await page.waitForURL("**/password");
  await page.fill("#current_password", oneTimePassword);
  await page.fill("#new_password", newPassword);
  await page.fill("#confirm_password", newPassword);
  await page.click("form.stacked button[type=submit]");
  await page.waitForURL("**/portal?notice=password-changed");

  // Step 2: the portal's navigation leads to the forwarding page.
  await page.click("nav a[href='/portal/forwarding']");
  await page.waitForURL("**/portal/forwarding");

  // Step 3: a target that is no number is refused beside its field.
  await page.fill("#forward_busy", "my mobile");
  await page.click("#save-features");
  await page.waitForSelector("#forward_busy-error");
  const refusal = await page.textContent("#forward_busy-error");
  const kept = await page.inputValue("#forward_busy");
  const screenshot = process.env.EDGEPBX_SCREENSHOT;
  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true });
  }

  // Step 4: a colleague's extension, and do-not-disturb.
  await page.fill("#forward_busy", target);
  await page.check("#dnd");
  await page.click("#save-features");
  await page.waitForURL("**/portal/forwarding?notice=features-saved");
  const notice = await page.textContent("p.notice");
  const saved = await page.inputValue("#forward_busy");
  const dnd = await page.isChecked("#dnd");
  return { refusal, kept, notice, saved, dnd };
}

runDriver(async (context) => {
  const consoleErrors = [];
  const page = await firstPage(context);
  page.on("console", (message) => {
    if (message.type() === "error") {
      consoleErrors.push(message.text());
    }
  });
  const result = await setForwarding(
    page,
    baseUrl(),
    required("EDGEPBX_NUMBER"),
    required("EDGEPBX_ONE_TIME_PASSWORD"),
    required("EDGEPBX_NEW_PASSWORD"),
    required("EDGEPBX_TARGET"),
  );
  return { ...result, consoleErrors };
});
