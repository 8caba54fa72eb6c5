% rebase('layout')
% editable = can(Permission.MANAGE_CALL_ROUTING)
<div class="heading">
  <h1>Call rules</h1>
  <span><a href="/trunks">Trunks</a> · <a href="/routes">Routes</a> · <a href="/calls">Call records</a></span>
</div>
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
<h2>Ring groups</h2>
% if not ring_groups:
<p class="empty">No ring groups. Add one with edgepbx ringgroup add or POST /api/v1/ring-groups.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">Number</th><th scope="col">Name</th><th scope="col">Rings</th><th scope="col">Members (seconds)</th><th scope="col">Then</th></tr></thead>
  <tbody>
  % for group in ring_groups:
    <tr>
      <td>{{group.number}}</td><td>{{group.name}}</td>
      <td>{{'all at once' if group.strategy == 'all' else 'one after another'}}</td>
      <td>{{', '.join(f"{m['extension']} ({m['ring_time_s']})" for m in group.members)}}</td>
      <td>{{group.failover or '-'}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
<h2>Time conditions</h2>
% if not conditions:
<p class="empty">No time conditions.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">Name</th><th scope="col">Now</th><th scope="col">Open to</th><th scope="col">Closed to</th><th scope="col">Holidays</th><th scope="col">Mode</th></tr></thead>
  <tbody>
  % for tc in conditions:
    <tr>
      <td>{{tc.name}} <span class="hint">{{tc.timezone}}</span></td>
      <td class="state">{{'open' if tc.open_now else 'closed'}}</td>
      <td>{{tc.open_destination}}</td><td>{{tc.closed_destination}}</td>
      <td>{{', '.join('..'.join(sorted(set(h))) for h in tc.holidays) or '-'}}</td>
      <td>
      % if editable:
        <form method="post" action="/call-rules/time-conditions/mode" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <input type="hidden" name="name" value="{{tc.name}}">
          <label class="visually-hidden" for="mode-{{tc.name}}">Mode of {{tc.name}}</label>
          <select id="mode-{{tc.name}}" name="mode">
          % for mode, label in (('auto', 'by the clock'), ('open', 'day (forced)'), ('closed', 'night (forced)')):
            <option value="{{mode}}"{{' selected' if tc.mode == mode else ''}}>{{label}}</option>
          % end
          </select>
          <button type="submit">Set</button>
        </form>
      % else:
        {{tc.mode}}
      % end
      </td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
<h2>Toll-fraud guards</h2>
% if editable:
<form method="post" action="/call-rules/guard" class="stacked narrow" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="allowed_countries">Countries that may be called abroad</label>
  <input id="allowed_countries" name="allowed_countries" type="text" value="{{'any' if guard.allowed_countries is None else ','.join(guard.allowed_countries)}}"{{' aria-invalid=true' if errors.get('allowed_countries') else ''}}>
  % if errors.get('allowed_countries'):
  <p class="field-error" id="allowed_countries-error">{{errors['allowed_countries']}}</p>
  % else:
  <p class="hint">Country codes like 1,44,49; "any" for every country</p>
  % end
  % for name, label, hint in (('per_extension_calls', 'Calls per extension', 'Within the window; 0: no limit'), ('total_calls', 'Calls of the whole PBX', 'Within the window; 0: no limit'), ('window_s', 'Window (seconds)', 'Like 60'), ('concurrent_calls', 'Outbound calls at once', '0: no limit')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" inputmode="numeric" value="{{getattr(guard, name)}}"{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  <button type="submit">Save guards</button>
</form>
% else:
<p>Countries: {{'any' if guard.allowed_countries is None else ', '.join(guard.allowed_countries) or 'none'}}; per extension {{guard.per_extension_calls or 'no limit'}}, whole PBX {{guard.total_calls or 'no limit'}} in {{guard.window_s}} s; at once {{guard.concurrent_calls or 'no limit'}}.</p>
% end
