// The trunk, route, call rule and call record pages in Debian's Chromium at
// a desktop size: a screenshot of each for a person to look at, and whether
// any of them scrolls sideways.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION (a signed-in session's
// cookie value), EDGEPBX_SCREENSHOTS (a directory). Output: one JSON object
// on stdout. tests/test_web_trunks.py runs it against a real appliance.
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
    return seen;
  },
  { viewport: { width: 1280, height: 900 } },
);
