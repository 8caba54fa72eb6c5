// The Monitor page in Debian's Chromium while one extension calls another:
// it must show the callee ringing, then both in use with the call's row,
// then both idle again, each within a few seconds and without a reload.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION (a signed-in session's
// cookie value), EDGEPBX_CALLER, EDGEPBX_CALLEE. Output: a line
// {"step": NAME} as each state is seen (the test drives the phones by
// them), then one JSON object. tests/test_monitor_browser.py runs it.
import { baseUrl, required, runDriver, signedInPage } from "./chromium.mjs";

const step = (name, extra = {}) => console.log(JSON.stringify({ step: name, ...extra }));

runDriver(
  async (context) => {
    const base = baseUrl();
    const caller = required("EDGEPBX_CALLER");
    const callee = required("EDGEPBX_CALLEE");
    const page = await signedInPage(context);
    const consoleErrors = [];
    page.on("console", (message) => {
      if (message.type() === "error") {
        consoleErrors.push(message.text());
      }
    });
    const reads = { navigations: 0 };
    page.on("framenavigated", () => {
      reads.navigations += 1;
    });

    await page.goto(`${base}/monitor`);
    await page.waitForSelector("#monitor-live[data-live='yes']");
    const stateOf = (number) =>
      page.evaluate(
        (n) => document.querySelector(`#monitor-extensions tr[data-key='${n}'] td.state`)?.dataset.state ?? null,
        number,
      );
    const callRows = () =>
      page.$$eval("#monitor-calls tbody tr", (rows) =>
        rows.map((row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent)),
      );
    const waitFor = (predicate, arg) => page.waitForFunction(predicate, arg, { polling: 100 });
    step("live", { caller: await stateOf(caller), callee: await stateOf(callee) });

    await waitFor(
      (n) => document.querySelector(`#monitor-extensions tr[data-key='${n}'] td.state`)?.dataset.state === "ringing",
      callee,
    );
    const ringing = { callee: await stateOf(callee), calls: await callRows() };
    step("ringing", ringing);

    await waitFor(
      ([a, b]) =>
        [a, b].every(
          (n) => document.querySelector(`#monitor-extensions tr[data-key='${n}'] td.state`)?.dataset.state === "in use",
        ) && document.querySelector("#monitor-calls td.state")?.dataset.state === "answered",
      [caller, callee],
    );
    // The duration runs: it ticks on the page with no message from the
    // server (a fixed wait could fall between two ticks on a busy machine).
    const durationBefore = (await callRows())[0][5];
    await waitFor(
      (before) => document.querySelector("#monitor-calls td.duration")?.textContent !== before,
      durationBefore,
    );
    const inUse = { caller: await stateOf(caller), callee: await stateOf(callee), calls: await callRows() };
    step("in use", inUse);

    await waitFor(
      ([a, b]) =>
        [a, b].every(
          (n) => document.querySelector(`#monitor-extensions tr[data-key='${n}'] td.state`)?.dataset.state === "idle",
        ) && document.querySelectorAll("#monitor-calls tbody tr").length === 0,
      [caller, callee],
    );
    const idle = { caller: await stateOf(caller), callee: await stateOf(callee), calls: await callRows() };
    return { ringing, inUse, durationBefore, idle, navigations: reads.navigations, consoleErrors };
  },
  { viewport: { width: 1280, height: 900 } },
);
