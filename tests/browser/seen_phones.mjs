// The Phones page's "Seen, not assigned" section in Debian's Chromium: a
// screenshot at a desktop size and a phone's, whether anything sticks out
// sideways, then one phone assigned by typing its extension and pressing
// its Assign button.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION, EDGEPBX_SCREENSHOTS,
// EDGEPBX_MAC, EDGEPBX_EXTENSION. Output: one JSON object on stdout.
import { join } from "node:path";
import { baseUrl, required, runDriver, signedInPage } from "./chromium.mjs";

async function sideways(page) {
  return page.evaluate(
    () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
  );
}

runDriver(async (context) => {
  const base = baseUrl();
  const shots = required("EDGEPBX_SCREENSHOTS");
  const mac = required("EDGEPBX_MAC");
  const page = await signedInPage(context);
  const seen = {};
  for (const [width, height, size] of [
    [390, 844, "narrow"],
    [1280, 900, "wide"],
  ]) {
    await page.setViewportSize({ width, height });
    await page.goto(`${base}/phones`);
    await page.screenshot({ path: join(shots, `seen-${size}.png`), fullPage: true });
    seen[size] = {
      sideways: await sideways(page),
      row: await page.textContent(`#seen-${mac}`),
    };
  }
  await page.fill(`#seen-${mac}-extensions`, required("EDGEPBX_EXTENSION"));
  await Promise.all([
    page.waitForURL(`**/phones/${mac}**`),
    page.click(`#seen-${mac} button:has-text("Assign")`),
  ]);
  await page.screenshot({ path: join(shots, "assigned.png"), fullPage: true });
  seen.assigned = { url: page.url(), text: await page.textContent("main") };
  return seen;
});
