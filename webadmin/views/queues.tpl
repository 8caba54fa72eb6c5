% rebase('layout')
% editable = can(Permission.MANAGE_MEDIA)
<div class="heading">
  <h1>Call queues <span class="count">{{len(queues)}}</span></h1>
</div>
% if not queues:
<p class="empty">No queues yet. Callers to a queue's number hear music until one of its agents answers; agents log in with *45 and out with *46 followed by the queue's number.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr>
    <th scope="col">Number</th><th scope="col">Name</th><th scope="col">Strategy</th><th scope="col">Agents now</th><th scope="col">Waiting</th><th scope="col">Today</th><th scope="col">After the longest wait</th>
    % if editable:
    <th scope="col">Log an agent in or out</th>
    <th scope="col"><span class="visually-hidden">Actions</span></th>
    % end
  </tr></thead>
  <tbody>
  % for queue in queues:
    % now = live[queue.number]
    <tr>
      <td>{{queue.number}}</td>
      <td>{{queue.name}}</td>
      <td>{{queue.strategy}}</td>
      <td>{{', '.join(f"{a['extension']} {a['state']}" for a in now.agents) or 'none'}}</td>
      <td>{{', '.join(f"{w['caller']} for {w['wait_s']} s" for w in now.waiting) or 'nobody'}}</td>
      % t = now.today
      <td data-queue-today="{{queue.number}}">{{t['offered']}} offered, {{t['answered']}} answered, {{t['abandoned']}} abandoned, {{t['timed_out']}} timed out; wait {{t['average_wait_s']}} s on average, {{t['longest_wait_s']}} s longest{{'' if t['service_level_percent'] is None else f"; {t['service_level_percent']} % within {t['service_level_s']} s"}}</td>
      <td>{{queue.max_wait_s}} s, then {{queue.failover}}</td>
      % if editable:
      <td>
        <form method="post" action="/queues/{{queue.number}}/agents" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <label for="agent-{{queue.number}}" class="visually-hidden">Extension to log in or out of queue {{queue.number}}</label>
          <input id="agent-{{queue.number}}" name="extension" type="text" inputmode="numeric" size="6">
          <button type="submit" name="action" value="login" class="link">Log in</button>
          <button type="submit" name="action" value="logout" class="link">Log out</button>
        </form>
      </td>
      <td>
        <a href="/queues?edit={{queue.number}}#queue-form" aria-label="Edit queue {{queue.number}}">Edit</a>
        <form method="post" action="/queues/{{queue.number}}/remove" class="inline" data-confirm="Remove queue {{queue.number}}? Its callers are no longer answered.">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit" class="link" aria-label="Remove queue {{queue.number}}">Remove</button>
        </form>
      </td>
      % end
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if errors.get('agent_form'):
<p class="error" role="alert" id="agent-error">{{errors['agent_form']}}</p>
% end
% if editable:
% editing = bool(values.get('version'))
<section class="narrow" id="queue-form">
<h2>{{'Change queue ' + values['number'] if editing else 'Add a queue'}}</h2>
% if errors.get('form'):
<p class="error" role="alert" id="form-error">{{errors['form']}}</p>
% end
<form method="post" action="/queues" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <input type="hidden" name="version" value="{{values.get('version', '')}}">
  % for name, label, hint in fields:
  <label for="{{name}}">{{label}}</label>
  % if name == 'strategy':
  <select id="strategy" name="strategy"{{' aria-invalid=true' if errors.get(name) else ''}}>
    % for strategy in strategies:
    <option value="{{strategy}}"{{' selected' if values.get('strategy') == strategy else ''}}>{{strategy}}</option>
    % end
  </select>
  % elif name.startswith('announce_') and name != 'announce_every_s':
  <input id="{{name}}" name="{{name}}" type="checkbox" value="on"{{' checked' if values.get(name) else ''}}>
  % else:
  <input id="{{name}}" name="{{name}}" type="text" value="{{values.get(name, '')}}"{{' readonly' if editing and name == 'number' else ''}}{{' aria-invalid=true' if errors.get(name) else ''}}>
  % end
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  <button type="submit">{{'Save queue' if editing else 'Add queue'}}</button>
  % if editing:
  <a href="/queues">Cancel</a>
  % end
</form>
</section>
% end
