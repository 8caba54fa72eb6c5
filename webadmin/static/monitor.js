// The Monitor page kept live: one EventSource on /monitor/stream, a
// "snapshot" event then "change" events (see webadmin/monitor_stream.py).
// Without this script the page is the snapshot it was rendered with.
"use strict";

(() => {
  const KEYS = { extensions: "number", trunks: "name", calls: "id", rooms: "number", parked: "slot" };
  const live = document.getElementById("monitor-live");
  const sipCore = document.getElementById("monitor-sip-core");
  const model = {
    extensions: new Map(), trunks: new Map(), calls: new Map(), rooms: new Map(), parked: new Map(),
  };
  // Server time minus browser time, so durations count from the server's clock.
  // Each message says when the server read its state; it arrives later, so
  // the estimate from the quickest delivery (the largest) is the best, and
  // no call may have begun after the server's "now".
  let offsetS = null;
  const learnClock = (at) => {
    const estimate = at - Date.now() / 1000;
    offsetS = offsetS === null ? estimate : Math.max(offsetS, estimate);
  };

  const clock = (seconds) => {
    const s = Math.max(0, Math.floor(seconds));
    const pad = (n) => String(n).padStart(2, "0");
    return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
  };
  const nowS = () => Date.now() / 1000 + (offsetS || 0);
  // Times of day in the appliance's zone, as the rendered page shows them.
  const zone = live ? live.dataset.zone || "UTC" : "UTC";
  const timeOfDay = (at) =>
    at ? new Date(at * 1000).toLocaleTimeString("en-GB", { timeZone: zone, hour12: false }) : "-";

  // Each row as cells: [text, state] where state marks the state cell.
  const CELLS = {
    extensions: (e) => [[e.number], [e.name], [e.state, e.state], [String(e.contacts)], [e.dnd ? "on" : ""]],
    calls: (c) => [
      [c.caller_name && c.caller_name !== c.caller ? `${c.caller} (${c.caller_name})` : c.caller],
      [c.callee],
      [c.direction],
      [c.trunk || "-"],
      [c.state, c.state],
      [clock(nowS() - (c.answered_at || c.started_at)), null, "duration"],
    ],
    trunks: (t) => [[t.name], [t.kind], [t.state, t.state], [timeOfDay(t.checked_at)]],
    rooms: (r) => [[r.number], [r.name], [`${r.members} of ${r.max_members}`]],
    parked: (p) => [[p.slot], [p.caller], [p.parked_by || "-"], [clock(nowS() - p.since), null, "duration"]],
  };

  function render(section) {
    const body = document.querySelector(`#monitor-${section} tbody`);
    if (!body) {
      return;
    }
    const rows = [];
    for (const [key, item] of model[section]) {
      const row = document.createElement("tr");
      row.dataset.key = key;
      for (const [text, state, className] of CELLS[section](item)) {
        const cell = document.createElement("td");
        cell.textContent = text;
        if (state) {
          cell.className = "state";
          cell.dataset.state = state;
        } else if (className) {
          cell.className = className;
        }
        row.append(cell);
      }
      rows.push(row);
    }
    body.replaceChildren(...rows);
  }

  function sorted(section) {
    if (section === "calls") {
      return; // kept in the order they started
    }
    model[section] = new Map([...model[section]].sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true })));
  }

  function showSipCore(message) {
    sipCore.textContent = message || "";
    sipCore.hidden = !message;
  }

  // A call's start is a moment the server had already reached.
  const learnFromCalls = (calls) => calls.forEach((c) => learnClock(c.answered_at || c.started_at));

  function takeSnapshot(state) {
    offsetS = null;
    learnClock(state.at);
    learnFromCalls(state.calls);
    for (const section of Object.keys(KEYS)) {
      model[section] = new Map(state[section].map((item) => [item[KEYS[section]], item]));
      render(section);
    }
    showSipCore(state.sip_core_error);
  }

  function applyChange(change) {
    learnClock(change.at);
    learnFromCalls(change.calls ? change.calls.changed : []);
    for (const section of Object.keys(KEYS)) {
      const part = change[section];
      if (!part) {
        continue;
      }
      for (const key of part.removed) {
        model[section].delete(key);
      }
      for (const item of part.changed) {
        model[section].set(item[KEYS[section]], item);
      }
      sorted(section);
      render(section);
    }
    if ("sip_core_error" in change) {
      showSipCore(change.sip_core_error);
    }
  }

  if (!window.EventSource || !live) {
    return;
  }
  // A refused stream (every stream of a worker taken) is not retried by the
  // browser itself: try again after the server's Retry-After, a few times.
  const REFUSED_RETRY_MS = 30000;
  const REFUSED_RETRIES = 10;
  let refusals = 0;

  function watch() {
    const stream = new EventSource("/monitor/stream");
    stream.addEventListener("open", () => {
      live.textContent = "Live";
      live.dataset.live = "yes";
    });
    stream.addEventListener("snapshot", (event) => {
      refusals = 0;
      takeSnapshot(JSON.parse(event.data));
    });
    stream.addEventListener("change", (event) => applyChange(JSON.parse(event.data)));
    stream.addEventListener("end", (event) => {
      stream.close();
      live.dataset.live = "no";
      live.textContent = `Stopped: ${JSON.parse(event.data).reason}. Reload the page to watch again.`;
    });
    stream.addEventListener("error", () => {
      live.dataset.live = "no";
      if (stream.readyState !== EventSource.CLOSED) {
        live.textContent = "Reconnecting…";
        return;
      }
      refusals += 1;
      if (refusals > REFUSED_RETRIES) {
        live.textContent = "Not live: the appliance refused the stream. Reload the page to try again.";
        return;
      }
      live.textContent = "Not live: the appliance is busy; trying again in 30 s.";
      window.setTimeout(watch, REFUSED_RETRY_MS);
    });
  }
  watch();
  // Running durations tick here; the server sends only changes.
  window.setInterval(() => {
    if (model.calls.size) {
      render("calls");
    }
  }, 1000);
})();
