% rebase('layout')
<h1>Event notifications</h1>
% if done:
<p class="notice" role="status">{{done}}</p>
% end
% if error:
<p class="error" role="alert">{{error}}</p>
% end
% manage = can(Permission.MANAGE_EVENTS)
<p><a href="/events">Back to the events</a></p>

<h2>Who is told</h2>
<p>The first event of a type is mailed at once; more of the same type within
{{options['mail_window_s'] // 60}} minutes are summed up in one follow-up mail.
Mail goes through the mail server set under System.</p>
<div class="table-wrap">
<table class="list" id="notifications">
  <thead><tr><th scope="col">Event</th><th scope="col">Severity</th><th scope="col">Mail</th><th scope="col">Recipients</th><th scope="col">Webhooks</th><th scope="col"></th></tr></thead>
  <tbody>
  % for item in notifications:
  <tr id="notify-{{item['type']}}">
    <td><strong>{{item['label']}}</strong><br><small>{{item['cause']}}</small></td>
    <td>{{item['severity']}}</td>
    % if manage:
    <td><input form="f-{{item['type']}}" type="checkbox" name="email" aria-label="mail {{item['label']}}" {{'checked' if item['email'] else ''}}></td>
    <td><input form="f-{{item['type']}}" name="recipients" aria-label="recipients of {{item['label']}}" value="{{', '.join(item['recipients'])}}" placeholder="name@example.com">
      % if failed == item['type']:
      <span class="field-error">{{error}}</span>
      % end
    </td>
    <td><input form="f-{{item['type']}}" type="checkbox" name="webhook" aria-label="webhooks for {{item['label']}}" {{'checked' if item['webhook'] else ''}}></td>
    <td><form id="f-{{item['type']}}" method="post" action="/events/settings/notify/{{item['type']}}" class="inline">
      <input type="hidden" name="csrf_token" value="{{csrf_token}}">
      <button type="submit">Save</button></form></td>
    % else:
    <td>{{'on' if item['email'] else 'off'}}</td><td>{{', '.join(item['recipients'])}}</td>
    <td>{{'on' if item['webhook'] else 'off'}}</td><td></td>
    % end
  </tr>
  % end
  </tbody>
</table>
</div>

<h2>Options</h2>
<form method="post" action="/events/settings/options" class="stacked" id="options">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % fields = [('retention_days', 'Keep events (days)'), ('mail_window_s', 'Sum up a storm over (seconds)'), ('disk_percent', 'Disk nearly full at (%)'), ('cpu_percent', 'CPU high at (%)'), ('memory_percent', 'Memory high at (%)')]
  % for name, label in fields:
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" inputmode="numeric" value="{{options[name]}}" {{'' if manage else 'disabled'}}>
  % end
  <label for="emergency_numbers">Emergency numbers</label>
  <input id="emergency_numbers" name="emergency_numbers" value="{{' '.join(options['emergency_numbers'])}}" {{'' if manage else 'disabled'}}>
  % if failed == 'options':
  <p class="field-error">{{error}}</p>
  % end
  % if manage:
  <button type="submit">Save options</button>
  % end
</form>

<h2>Webhooks</h2>
<p>Each event is POSTed as JSON, signed with HMAC-SHA256 over the timestamp and
the body (headers X-Edgepbx-Timestamp and X-Edgepbx-Signature).</p>
% if not webhooks:
<p class="empty">No webhook.</p>
% else:
<div class="table-wrap">
<table class="list" id="webhooks">
  <thead><tr><th scope="col">#</th><th scope="col">Address</th><th scope="col">Events</th><th scope="col"></th></tr></thead>
  <tbody>
  % for hook in webhooks:
  <tr>
    <td>{{hook.id}}</td><td>{{hook.url}}</td><td>{{', '.join(hook.types)}}</td>
    <td>
    % if manage:
      <form method="post" action="/webhooks/{{hook.id}}/test" class="inline">
        <input type="hidden" name="csrf_token" value="{{csrf_token}}">
        <button type="submit">Send a test</button>
      </form>
      <form method="post" action="/webhooks/{{hook.id}}/remove" class="inline">
        <input type="hidden" name="csrf_token" value="{{csrf_token}}">
        <button type="submit">Remove</button>
      </form>
    % end
    </td>
  </tr>
  % end
  </tbody>
</table>
</div>
% end
% if manage:
<h3>Add a webhook</h3>
<form method="post" action="/webhooks" class="stacked" id="add-webhook">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="url">Address (http:// or https://)</label>
  <input id="url" name="url" type="url" required>
  <label for="secret">Signing secret (leave empty to have one made)</label>
  <input id="secret" name="secret" type="password" autocomplete="off">
  <fieldset><legend>Events</legend>
  % for name in webhook_types:
  <label><input type="checkbox" name="types" value="{{name}}"> {{name}}</label>
  % end
  </fieldset>
  % if failed == 'webhook':
  <p class="field-error">{{error}}</p>
  % end
  <button type="submit">Add</button>
</form>
% end
