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
<p class="empty">No ring groups yet.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">Number</th><th scope="col">Name</th><th scope="col">Rings</th><th scope="col">Members (seconds)</th><th scope="col">Then</th>{{!'<th scope="col"><span class="visually-hidden">Change</span></th>' if editable else ''}}</tr></thead>
  <tbody>
  % for group in ring_groups:
    <tr>
      <td>{{group.number}}</td><td>{{group.name}}</td>
      <td>{{'all at once' if group.strategy == 'all' else 'one after another'}}</td>
      <td>{{', '.join(f"{m['extension']} ({m['ring_time_s']})" for m in group.members)}}</td>
      <td>{{group.failover or '-'}}</td>
      % if editable:
      <td><a href="/call-rules?ring_group={{group.number}}#ring-group-form">Edit {{group.number}}</a></td>
      % end
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if editable:
% editing = values.get('rg_editing', '')
<h3 id="ring-group-form">{{'Change ring group ' + editing if editing else 'Add a ring group'}}</h3>
<form method="post" action="/call-rules/ring-groups" class="stacked narrow" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <input type="hidden" name="rg_editing" value="{{editing}}">
  <input type="hidden" name="rg_version" value="{{values.get('rg_version', '')}}">
  % for name, label, hint in (('rg_number', 'Number', '2 to 6 digits, free in the numbering plan'), ('rg_name', 'Name', 'Like Sales'), ('rg_members', 'Members with ring times', 'Extensions in ringing order, each with its seconds: 101:20 102:15'), ('rg_ring_time', 'Ring time (seconds)', 'For members without their own, and for all at once')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" value="{{values.get(name, '20' if name == 'rg_ring_time' else '')}}"{{' readonly' if name == 'rg_number' and editing else ''}}{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  <label for="rg_strategy">Strategy</label>
  <select id="rg_strategy" name="rg_strategy"{{' aria-invalid=true' if errors.get('rg_strategy') else ''}}>
  % for strategy in strategies:
    <option value="{{strategy}}"{{' selected' if values.get('rg_strategy', 'all') == strategy else ''}}>{{'all at once' if strategy == 'all' else 'one after another'}}</option>
  % end
  </select>
  % if errors.get('rg_strategy'):
  <p class="field-error" id="rg_strategy-error">{{errors['rg_strategy']}}</p>
  % end
  % include('destination_select', name='rg_failover', label='When nobody answers', empty_label='Nothing more (the caller hears no answer)', options=failovers, hint='An extension, another ring group, a time condition, IVR menu, queue, conference room, mailbox, or hang up')
  <button type="submit">{{'Save ring group' if editing else 'Add ring group'}}</button>
</form>
% end
<h2>Time conditions</h2>
% if not conditions:
<p class="empty">No time conditions.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">Name</th><th scope="col">Now</th><th scope="col">Open to</th><th scope="col">Closed to</th><th scope="col">Holidays</th><th scope="col">Mode</th>{{!'<th scope="col"><span class="visually-hidden">Change</span></th>' if editable else ''}}</tr></thead>
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
      % if editable:
      <td><a href="/call-rules?time_condition={{tc.name}}#time-condition-form">Edit {{tc.name}}</a></td>
      % end
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if editable:
% editing = values.get('tc_editing', '')
<h3 id="time-condition-form">{{'Change time condition ' + editing if editing else 'Add a time condition'}}</h3>
<form method="post" action="/call-rules/time-conditions" class="stacked narrow" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <input type="hidden" name="tc_editing" value="{{editing}}">
  <input type="hidden" name="tc_version" value="{{values.get('tc_version', '')}}">
  % for name, label, hint in (('tc_name', 'Name', 'Like office'), ('tc_timezone', 'Time zone', 'Like Europe/Berlin'), ('tc_hours', 'Weekday hours (open)', 'Like mon-fri=09:00-17:00 sat=10:00-13:00'), ('tc_holidays', 'Holidays (closed)', 'Dates or ranges: 2026-12-24 2026-12-25..2026-12-26')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" value="{{values.get(name, '')}}"{{' readonly' if name == 'tc_name' and editing else ''}}{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  % include('destination_select', name='tc_open', label='While open (day)', empty_label='Choose where calls go', options=targets, hint='Where calls go in business hours')
  % include('destination_select', name='tc_closed', label='While closed (night)', empty_label='Choose where calls go', options=targets, hint='Where calls go outside the hours and on holidays')
  <button type="submit">{{'Save time condition' if editing else 'Add time condition'}}</button>
</form>
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
<h2 id="park">Call park</h2>
% if editable:
<form method="post" action="/call-rules/park" class="stacked narrow" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % for name, label, hint in (('park_first', 'First slot', 'The number of the first slot, {0} to {1} digits, not starting with 0'.format(*park_digits)), ('park_count', 'Slots', 'How many slots follow on from the first, {0} to {1}'.format(*park_counts)), ('park_timeout', 'Back to the parker after (seconds)', 'A parked call forgotten this long rings its parker again, {0} to {1}'.format(*park_timeouts))):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" inputmode="numeric" value="{{values.get(name, '')}}"{{' aria-invalid=true aria-describedby=' + name + '-error' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  <button type="submit">Save park slots</button>
</form>
% end
<p>Park slots {{park.slots[0]}} to {{park.slots[-1]}} ({{park.count}}); a parked call rings its parker again after {{park.timeout_s}} s.</p>
