% rebase('layout')
<div class="heading">
  <h1>Call records <span class="count">{{len(calls)}}</span></h1>
  <a href="{{csv_link}}">Download Master.csv</a>
</div>
<form method="get" action="/calls" class="inline-search">
  % for name, label, kind in (('since', 'From', 'date'), ('until', 'To', 'date'), ('number', 'Number', 'search')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="{{kind}}" value="{{values.get(name, '')}}">
  % end
  <label for="disposition">Disposition</label>
  <select id="disposition" name="disposition">
    <option value="">any</option>
  % for choice in dispositions:
    <option value="{{choice}}"{{' selected' if values.get('disposition') == choice else ''}}>{{choice}}</option>
  % end
  </select>
  <button type="submit">Search</button>
</form>
% for name, message in errors.items():
<p class="error" role="alert">{{message}}</p>
% end
% if not calls:
<p class="empty">No calls found.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr>
    <th scope="col">Start ({{zone_name()}})</th><th scope="col">Direction</th><th scope="col">From</th><th scope="col">To</th><th scope="col">DID</th><th scope="col">Trunk</th><th scope="col">Disposition</th><th scope="col">Talk (s)</th>
    % if can_listen:
    <th scope="col">Recording</th>
    % end
  </tr></thead>
  <tbody>
  % for call in calls:
    <tr>
      <td><time datetime="{{call.start}}">{{local_clock(call.start)}}</time></td><td>{{call.direction}}</td><td>{{call.src}}</td><td>{{call.dst}}{{!'<br><small class="transferred">transferred by ' if call.transferred_by else ''}}{{call.transferred_by or ''}}{{!'</small>' if call.transferred_by else ''}}</td>
      <td>{{call.did or '-'}}</td><td>{{call.trunk or '-'}}</td><td>{{call.disposition or 'in progress'}}{{!'<br><small class="end-reason">' if call.end_reason else ''}}{{call.end_reason}}{{!'</small>' if call.end_reason else ''}}</td><td>{{call.billsec}}</td>
      % if can_listen:
      <td class="recording">
        % if call.call_id not in audio:
        -
        % elif audio[call.call_id] is None:
        <span class="removed">removed</span>
        % else:
        <audio controls preload="none" src="{{audio[call.call_id]}}" aria-label="recording of the call from {{call.src}} to {{call.dst}}"></audio>
        <a href="{{audio[call.call_id]}}?download=1" download>Download</a>
        % end
      </td>
      % end
    </tr>
  % end
  </tbody>
</table>
</div>
% end
