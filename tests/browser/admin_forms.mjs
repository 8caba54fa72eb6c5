// The admin's edit forms in Debian's Chromium: two tabs edit one extension
// (the later save is refused and shows the current values), a page group is
// added, refused when its number is added again, then edited; a queue is
// added, edited, an agent logged in and out, one queue removed and one that
// an IVR menu leads to refused.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION. The appliance has
// extensions 101 and 102, queue 802 and an IVR menu leading to it. Output:
// one JSON object on stdout. tests/test_web_admin_forms.py runs it.
import { baseUrl, runDriver, signedInPage } from "./chromium.mjs";

async function listed(page) {
  return (await page.locator("table.list tbody").innerText()).replace(/\s+/g, " ");
}

async function submitAndWait(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

runDriver(async (context) => {
  const base = baseUrl();
  const page = await signedInPage(context);
  const other = await context.newPage();
  other.setDefaultTimeout(15000);
  page.on("dialog", (dialog) => dialog.accept());

  // Step 1: two tabs load extension 101; the first saves, then the second.
  await page.goto(`${base}/extensions/101`);
  await other.goto(`${base}/extensions/101`);
  await page.fill("#display_name", "Reception");
  await submitAndWait(page, "form.stacked button[type=submit]");
  const firstSave = await page.textContent("p.notice");
  await other.fill("#display_name", "Front office");
  await submitAndWait(other, "form.stacked button[type=submit]");
  const extension = {
    firstSave,
    secondError: await other.textContent("p.error[role=alert]"),
    secondShows: await other.inputValue("#display_name"),
  };

  // Step 2: a page group added, added again, then edited.
  await page.goto(`${base}/paging`);
  await page.fill("#number", "701");
  await page.fill("#name", "Warehouse");
  await page.fill("#members", "101");
  await submitAndWait(page, "#group-form button[type=submit]");
  await page.fill("#number", "701");
  await page.fill("#name", "Dock");
  await page.fill("#members", "102");
  await submitAndWait(page, "#group-form button[type=submit]");
  const addedAgain = {
    error: await page.textContent("#number-error"),
    listed: await listed(page),
  };
  await Promise.all([
    page.waitForNavigation(),
    page.click("a[aria-label='Edit page group 701']"),
  ]);
  const editHeading = await page.textContent("#group-form h2");
  await page.fill("#name", "Loading dock");
  await page.fill("#members", "101,102");
  await submitAndWait(page, "#group-form button[type=submit]");
  const paging = { addedAgain, editHeading, edited: await listed(page) };

  // Step 3: a queue added, added again, edited; an agent in and out.
  await page.goto(`${base}/queues`);
  await page.fill("#number", "801");
  await page.fill("#name", "Sales");
  await page.fill("#agents", "101");
  await submitAndWait(page, "#queue-form button[type=submit]");
  await page.fill("#number", "801");
  await page.fill("#name", "Support");
  await submitAndWait(page, "#queue-form button[type=submit]");
  const queueAddedAgain = await page.textContent("#number-error");
  await Promise.all([
    page.waitForNavigation(),
    page.click("a[aria-label='Edit queue 801']"),
  ]);
  await page.fill("#name", "Sales team");
  await page.fill("#ring_s", "20");
  await submitAndWait(page, "#queue-form button[type=submit]");
  const queueEdited = await listed(page);
  await page.fill("#agent-801", "102");
  await submitAndWait(page, "#agent-801 ~ button[value=login]");
  const loggedIn = await listed(page);
  await page.fill("#agent-801", "102");
  await submitAndWait(page, "#agent-801 ~ button[value=logout]");
  const loggedOut = await listed(page);

  // Step 4: removing the queue a menu leads to, then the other.
  await submitAndWait(page, "button[aria-label='Remove queue 802']");
  const removeRefused = await page.textContent("#form-error");
  await submitAndWait(page, "button[aria-label='Remove queue 801']");
  const afterRemove = await listed(page);
  const queues = {
    addedAgain: queueAddedAgain,
    edited: queueEdited,
    loggedIn,
    loggedOut,
    removeRefused,
    afterRemove,
  };
  return { extension, paging, queues };
});
