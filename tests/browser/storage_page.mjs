// The Storage page in Debian's Chromium: the usage bars at a desktop size
// and a phone's, whether anything sticks out sideways, then a retention
// typed wrong (refused beside its field) and right (saved).
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION, EDGEPBX_SCREENSHOTS.
// Output: one JSON object on stdout. tests/test_storage.py runs it.
import { join } from "node:path";
import { baseUrl, required, runDriver, signedInPage } from "./chromium.mjs";

async function bars(page) {
  return page.$$eval("#usage tbody tr", (rows) =>
    rows.map((row) => {
      const bar = row.querySelector("progress");
      return {
        kind: row.querySelector("th").textContent.trim(),
        value: Number(bar.value),
        max: Number(bar.max),
        width: bar.getBoundingClientRect().width,
      };
    }),
  );
}

runDriver(async (context) => {
  const base = baseUrl();
  const shots = required("EDGEPBX_SCREENSHOTS");
  const page = await signedInPage(context);
  const seen = {};
  for (const [width, height, size] of [
    [390, 844, "narrow"],
    [1280, 900, "wide"],
  ]) {
    await page.setViewportSize({ width, height });
    await page.goto(`${base}/storage`);
    await page.screenshot({ path: join(shots, `storage-${size}.png`), fullPage: true });
    seen[size] = {
      sideways: await page.evaluate(
        () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
      ),
      bars: await bars(page),
    };
  }

  // A retention of zero days is refused beside its field.
  await page.fill("#recordings-max_days", "0");
  await Promise.all([
    page.waitForLoadState("load"),
    page.click('#recordings button:has-text("Save")'),
  ]);
  seen.refused = {
    error: await page.textContent("#recordings-max_days-error"),
    invalid: await page.getAttribute("#recordings-max_days", "aria-invalid"),
  };

  // Fourteen days is saved.
  await page.fill("#recordings-max_days", "14");
  await Promise.all([
    page.waitForURL("**/storage?notice=storage-saved**"),
    page.click('#recordings button:has-text("Save")'),
  ]);
  seen.saved = { value: await page.inputValue("#recordings-max_days") };
  return seen;
});
