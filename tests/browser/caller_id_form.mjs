// The caller ID fields of an extension's page in Debian's Chromium: a bad
// outside number is refused beside its field with nothing saved, then the
// fields and the withhold box are saved.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION. The appliance has
// extension 101. Output: one JSON object on stdout.
// tests/test_caller_id.py runs it.
import { baseUrl, runDriver, signedInPage } from "./chromium.mjs";

async function save(page) {
  await Promise.all([
    page.waitForNavigation(),
    page.click("form.stacked button[type=submit]"),
  ]);
}

runDriver(async (context) => {
  const base = baseUrl();
  const page = await signedInPage(context);

  // Step 1: a bad outside number beside a good internal name.
  await page.goto(`${base}/extensions/101`);
  await page.fill("#outside_cid_number", "555-01ab");
  await page.fill("#internal_cid_name", "Front Desk");
  await save(page);
  const refused = {
    error: await page.textContent("#outside_cid_number-error"),
    keeps: await page.inputValue("#outside_cid_number"),
  };

  // Step 2: good values and the withhold box, saved.
  await page.fill("#outside_cid_number", "+15550199");
  await page.fill("#outside_cid_name", "Alice Sales");
  await page.check("input[name=withhold_number]");
  await save(page);
  const saved = {
    notice: await page.textContent("p.notice"),
    number: await page.inputValue("#outside_cid_number"),
    withhold: await page.isChecked("input[name=withhold_number]"),
  };
  return { refused, saved };
});
