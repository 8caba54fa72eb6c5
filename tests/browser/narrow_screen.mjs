// The extension list and the audit log on a phone-sized screen (390 x 844,
// an iPhone 14's viewport), in Debian's Chromium: what a person can read
// without scrolling sideways, measured from the laid-out page, and a
// screenshot of each page for a person to look at.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION (a signed-in session's
// cookie value), EDGEPBX_SCREENSHOTS (a directory). Output: one JSON object
// on stdout. tests/test_web_narrow_screen.py runs it against a real appliance.
import { join } from "node:path";
import { baseUrl, required, runDriver, signedInPage } from "./chromium.mjs";

const VIEWPORT = { width: 390, height: 844 };

// How one page lays out: does anything stick out sideways, and for each
// column asked about, is every cell of it shown and inside the screen.
async function measure(page, columns) {
  return page.evaluate((columns) => {
    const screen = document.documentElement.clientWidth;
    const wrap = document.querySelector(".table-wrap");
    const inside = (element) => {
      const box = element.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && box.left >= 0 && box.right <= screen + 0.5;
    };
    const shown = {};
    for (const [name, selector] of Object.entries(columns)) {
      const cells = [...document.querySelectorAll(selector)];
      shown[name] = cells.length > 0 && cells.every(inside);
    }
    return {
      pageScrollsSideways: document.documentElement.scrollWidth > screen,
      tableScrollsSideways: wrap ? wrap.scrollWidth > wrap.clientWidth + 0.5 : null,
      shown,
    };
  }, columns);
}

runDriver(
  async (context) => {
    const base = baseUrl();
    const screenshots = required("EDGEPBX_SCREENSHOTS");
    const page = await signedInPage(context);

    await page.goto(`${base}/extensions`);
    await page.screenshot({ path: join(screenshots, "extensions.png"), fullPage: true });
    const extensions = await measure(page, {
      number: "table.extensions td.number",
      name: "table.extensions td.display_name",
      phones: "table.extensions td.phones",
      phonesHeading: "table.extensions th.phones",
    });

    await page.goto(`${base}/audit`);
    await page.screenshot({ path: join(screenshots, "audit.png"), fullPage: true });
    const audit = await measure(page, {
      what: 'table.audit td[data-label="What"]',
      object: 'table.audit td[data-label="Object"]',
      after: 'table.audit td[data-label="After"]',
    });
    return { extensions, audit };
  },
  { viewport: VIEWPORT },
);
