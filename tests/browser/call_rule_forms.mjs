// The ring group and time condition forms of the call rules page, used as a
// person would in Debian's Chromium: add a ring group with a failover chosen
// from the existing destinations, change it through its Edit link, add a
// time condition whose night goes to that group, and send a bad hour.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION (a signed-in session's
// cookie value). Output: one JSON object on stdout.
// tests/test_web_trunks.py runs it against a real appliance.
import { baseUrl, runDriver, signedInPage } from "./chromium.mjs";

runDriver(async (context) => {
  const base = baseUrl();
  const page = await signedInPage(context);
  const seen = {};

  await page.goto(`${base}/call-rules`);
  seen.failoverChoices = await page
    .locator("#rg_failover option")
    .evaluateAll((options) => options.map((o) => o.value));
  await page.getByLabel("Number", { exact: true }).fill("610");
  await page.getByLabel("Name", { exact: true }).first().fill("Support");
  await page.getByLabel("Members with ring times").fill("101:15");
  await page.getByLabel("Strategy").selectOption("sequential");
  await page.getByLabel("When nobody answers").selectOption("hangup");
  await page.getByRole("button", { name: "Add ring group" }).click();
  await page.waitForURL(`${base}/call-rules`);

  await page.getByRole("link", { name: "Edit 610" }).click();
  seen.editedMembers = await page.getByLabel("Members with ring times").inputValue();
  await page.locator("#rg_name").fill("Support desk");
  await page.getByLabel("When nobody answers").selectOption("extension:101");
  await page.getByRole("button", { name: "Save ring group" }).click();
  await page.waitForURL(`${base}/call-rules`);
  seen.groupRow = await page.locator("tr", { hasText: "610" }).first().innerText();

  await page.locator("#tc_name").fill("hours");
  await page.getByLabel("Time zone").fill("UTC");
  await page.getByLabel("Weekday hours (open)").fill("mon-fri=25:00-17:00");
  await page.getByLabel("While open (day)").selectOption("extension:101");
  await page.getByLabel("While closed (night)").selectOption("ring_group:610");
  await page.getByRole("button", { name: "Add time condition" }).click();
  seen.hoursError = (await page.locator("#tc_hours-error").textContent()) ?? "";
  await page.getByLabel("Weekday hours (open)").fill("mon-fri=09:00-17:00");
  await page.getByRole("button", { name: "Add time condition" }).click();
  await page.waitForURL(`${base}/call-rules`);
  seen.conditionRow = await page.locator("tr", { hasText: "hours" }).first().innerText();
  return seen;
});
