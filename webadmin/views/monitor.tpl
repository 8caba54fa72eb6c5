% rebase('layout')
% def since(start):
%   seconds = max(0, int(state.at - start))
%   return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
% end
<div class="heading">
  <h1>Monitor</h1>
  <span id="monitor-live" class="live" role="status" data-zone="{{zone_name()}}">As of {{local_time_of_day(state.at)}}; reload for the latest.</span>
</div>
% if state.sip_core_error:
<p class="error" role="alert" id="monitor-sip-core">{{state.sip_core_error}}</p>
% else:
<p class="error" role="alert" id="monitor-sip-core" hidden></p>
% end
<section>
<h2>Extensions</h2>
<div class="table-wrap">
<table class="list" id="monitor-extensions">
  <thead><tr><th scope="col">Extension</th><th scope="col">Name</th><th scope="col">State</th><th scope="col">Phones</th><th scope="col">Do not disturb</th></tr></thead>
  <tbody>
  % for e in state.extensions:
    <tr data-key="{{e.number}}">
      <td>{{e.number}}</td><td>{{e.name}}</td>
      <td class="state" data-state="{{e.state}}">{{e.state}}</td>
      <td>{{e.contacts}}</td><td>{{'on' if e.dnd else ''}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>
</section>
<section>
<h2>Calls in progress</h2>
<div class="table-wrap">
<table class="list" id="monitor-calls">
  <thead><tr><th scope="col">Caller</th><th scope="col">Callee</th><th scope="col">Direction</th><th scope="col">Trunk</th><th scope="col">State</th><th scope="col">Duration</th></tr></thead>
  <tbody>
  % for c in state.calls:
    <tr data-key="{{c.id}}">
      <td>{{c.caller}}{{f' ({c.caller_name})' if c.caller_name and c.caller_name != c.caller else ''}}</td><td>{{c.callee}}</td>
      <td>{{c.direction}}</td><td>{{c.trunk or '-'}}</td>
      <td class="state" data-state="{{c.state}}">{{c.state}}</td>
      <td class="duration">{{since(c.answered_at or c.started_at)}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>
</section>
<section>
<h2>Trunks</h2>
<div class="table-wrap">
<table class="list" id="monitor-trunks">
  <thead><tr><th scope="col">Trunk</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Checked</th></tr></thead>
  <tbody>
  % for t in state.trunks:
    <tr data-key="{{t.name}}">
      <td>{{t.name}}</td><td>{{t.kind}}</td>
      <td class="state" data-state="{{t.state}}">{{t.state}}</td>
      <td>{{local_time_of_day(t.checked_at) if t.checked_at else '-'}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>
</section>
<section>
<h2>Conference rooms</h2>
<div class="table-wrap">
<table class="list" id="monitor-rooms">
  <thead><tr><th scope="col">Room</th><th scope="col">Name</th><th scope="col">Members</th></tr></thead>
  <tbody>
  % for r in state.rooms:
    <tr data-key="{{r.number}}">
      <td>{{r.number}}</td><td>{{r.name}}</td><td>{{r.members}} of {{r.max_members}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>
</section>
<section>
<h2>Parked calls</h2>
<div class="table-wrap">
<table class="list" id="monitor-parked">
  <thead><tr><th scope="col">Slot</th><th scope="col">Caller</th><th scope="col">Parked by</th><th scope="col">Parked for</th></tr></thead>
  <tbody>
  % for p in state.parked:
    <tr data-key="{{p.slot}}">
      <td>{{p.slot}}</td><td>{{p.caller}}</td><td>{{p.parked_by or '-'}}</td>
      <td class="duration">{{'%d:%02d:%02d' % (max(0, state.at - p.since) // 3600, max(0, state.at - p.since) // 60 % 60, max(0, state.at - p.since) % 60)}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>
</section>
<script src="/static/monitor.js" defer></script>
