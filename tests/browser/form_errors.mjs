// Forms with several fields wrong at once, in Debian's Chromium: the new
// extension form, an extension's edit form and the scheduled backups form
// on the System page, each sent with every field wrong; what each shows
// beside which field. On the way, the backup day list as its script keeps
// it: cleared when the schedule turns daily, the stored day back for weekly.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION. The appliance has
// extension 101 and a weekly backup schedule on friday. Output: one JSON
// object on stdout. tests/test_web_form_errors.py runs it.
import { baseUrl, runDriver, signedInPage } from "./chromium.mjs";

async function fieldErrors(page) {
  const shown = {};
  for (const error of await page.locator(".field-error").all()) {
    shown[(await error.getAttribute("id")).replace(/-error$/, "")] =
      await error.innerText();
  }
  return shown;
}

async function submitAndWait(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

runDriver(async (context) => {
  const base = baseUrl();
  const page = await signedInPage(context);
  const seen = {};

  // Step 1: a new extension with its number, name and e-mail all wrong.
  await page.goto(`${base}/extensions/new`);
  await page.fill("#number", "1O1");
  await page.fill("#display_name", "");
  await page.fill("#email", "no-at-sign");
  await submitAndWait(page, 'form[action="/extensions/new"] button[type="submit"]');
  seen.newExtension = await fieldErrors(page);

  // Step 2: extension 101 with its name, e-mail and pickup group wrong.
  await page.goto(`${base}/extensions/101`);
  await page.fill("#display_name", "");
  await page.fill("#email", "no-at-sign");
  await page.fill("#pickup_group", "a/b");
  await submitAndWait(page, 'form[action="/extensions/101"] button[type="submit"]');
  seen.extension = await fieldErrors(page);

  // Step 3: the day list follows the schedule's frequency.
  await page.goto(`${base}/system`);
  await page.selectOption("#frequency", "daily");
  const dayWhenDaily = await page.inputValue("#weekday");
  await page.selectOption("#frequency", "weekly");
  const dayWhenWeekly = await page.inputValue("#weekday");
  seen.dayList = { daily: dayWhenDaily, weekly: dayWhenWeekly };

  // Step 4: a daily schedule given a day, an hour and a count out of range.
  await page.selectOption("#frequency", "daily");
  await page.selectOption("#weekday", "monday");
  await page.fill("#hour", "24");
  await page.fill("#keep", "0");
  await submitAndWait(page, 'form[action="/system/backup-schedule"] button[type="submit"]');
  seen.schedule = await fieldErrors(page);
  return seen;
});
