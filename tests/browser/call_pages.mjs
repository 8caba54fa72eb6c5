// The trunk, route, call rule and call record pages in Debian's Chromium at
// a desktop size: a screenshot of each for a person to look at, and whether
// any of them scrolls sideways.
//
// Then, as a person would, types EDGEPBX_MAIN_NUMBER into the Main number
// field of trunk EDGEPBX_TRUNK's row, saves it, and reads the field again.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION (a signed-in session's
// cookie value), EDGEPBX_SCREENSHOTS (a directory), EDGEPBX_TRUNK,
// EDGEPBX_MAIN_NUMBER. Output: one JSON object on stdout.
// tests/test_web_trunks.py runs it against a real appliance.
import { join } from "node:path";
import { baseUrl, required, runDriver, signedInPage } from "./chromium.mjs";

const PAGES = ["trunks", "routes", "call-rules", "calls"];

runDriver(
  async (context) => {
    const base = baseUrl();
    const screenshots = required("EDGEPBX_SCREENSHOTS");
    const page = await signedInPage(context);
    const seen = {};
    for (const name of PAGES) {
      await page.goto(`${base}/${name}`);
      await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
      seen[name] = await page.evaluate(() => ({
        heading: document.querySelector("h1")?.textContent ?? "",
        scrollsSideways:
          document.documentElement.scrollWidth > document.documentElement.clientWidth,
      }));
    }

    const trunk = required("EDGEPBX_TRUNK");
    await page.goto(`${base}/trunks`);
    await page.getByRole("textbox", { name: `Main number of trunk ${trunk}` }).fill(required("EDGEPBX_MAIN_NUMBER"));
    await Promise.all([
      page.waitForURL(`${base}/trunks`),
      page.getByRole("button", { name: `Save the main number of trunk ${trunk}` }).click(),
    ]);
    seen.mainNumber = await page.getByRole("textbox", { name: `Main number of trunk ${trunk}` }).inputValue();
    return seen;
  },
  { viewport: { width: 1280, height: 900 } },
);
