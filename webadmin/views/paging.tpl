% rebase('layout')
% editable = can(Permission.MANAGE_MEDIA)
<div class="heading">
  <h1>Page groups <span class="count">{{len(groups)}}</span></h1>
</div>
% if not groups:
<p class="empty">No page groups yet. A call to a group's number is heard on every member's phone at once, which answers by itself; the members are not heard.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr>
    <th scope="col">Number</th><th scope="col">Name</th><th scope="col">Members</th>
    % if editable:
    <th scope="col"><span class="visually-hidden">Actions</span></th>
    % end
  </tr></thead>
  <tbody>
  % for group in groups:
    <tr>
      <td>{{group.number}}</td>
      <td>{{group.name}}</td>
      <td>{{', '.join(group.members)}}</td>
      % if editable:
      <td>
        <a href="/paging?edit={{group.number}}#group-form" aria-label="Edit page group {{group.number}}">Edit</a>
        <form method="post" action="/paging/{{group.number}}/remove" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit" class="link" aria-label="Remove page group {{group.number}}">Remove</button>
        </form>
      </td>
      % end
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if editable:
% editing = bool(values.get('version'))
<section class="narrow" id="group-form">
<h2>{{'Change page group ' + values['number'] if editing else 'Add a page group'}}</h2>
% if errors.get('form'):
<p class="error" role="alert" id="form-error">{{errors['form']}}</p>
% end
<form method="post" action="/paging" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <input type="hidden" name="version" value="{{values.get('version', '')}}">
  % for name, label, hint in (('number', 'Number', 'Callers dial it; not an extension, menu or room number'), ('name', 'Name', 'Like Warehouse'), ('members', 'Members', 'Up to 3 extensions, comma-separated, like 101,102,103')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" value="{{values.get(name, '')}}"{{' readonly' if editing and name == 'number' else ''}}{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  <button type="submit">{{'Save page group' if editing else 'Add page group'}}</button>
  % if editing:
  <a href="/paging">Cancel</a>
  % end
</form>
</section>
% end

<section id="broadcasts">
<h2>Broadcasts <span class="count">{{len(broadcasts)}}</span></h2>
% if broadcast_errors.get('form'):
<p class="error" role="alert">{{broadcast_errors['form']}}</p>
% end
% if not broadcasts:
<p class="empty">No broadcasts yet. A broadcast plays a prompt on a page group's phones at set times (like a closing announcement), or when you run it.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr>
    <th scope="col">Name</th><th scope="col">Page group</th><th scope="col">Prompt</th><th scope="col">When ({{zone_name()}})</th><th scope="col">Next run</th><th scope="col">Last run</th>
    % if editable:
    <th scope="col"><span class="visually-hidden">Actions</span></th>
    % end
  </tr></thead>
  <tbody>
  % for item in broadcasts:
    <tr>
      <td>{{item.name}}</td>
      <td>{{item.page_group}}</td>
      <td>{{item.prompt}}</td>
      <td>{{', '.join(item.weekdays) if item.weekdays else item.on_date}} at {{item.time_of_day}}</td>
      <td>{{item.next_run.replace('T', ' ')[:16] if item.next_run else ('disabled' if not item.enabled else 'none')}}</td>
      <td>{{item.last_run.replace('T', ' ')[:16]}}</td>
      % if editable:
      <td>
        % for action, label in (('run', 'Run now'), ('disable' if item.enabled else 'enable', 'Disable' if item.enabled else 'Enable'), ('remove', 'Remove')):
        <form method="post" action="/paging/broadcasts/{{item.name.replace(' ', '%20')}}/{{action}}" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit" class="link" aria-label="{{label}} broadcast {{item.name}}">{{label}}</button>
        </form>
        % end
      </td>
      % end
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if editable and groups:
<section class="narrow">
<h3>Add or change a broadcast</h3>
<form method="post" action="/paging/broadcasts" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="b-name">Name</label>
  <input id="b-name" name="name" type="text" value="{{broadcast.get('name', '')}}"{{' aria-invalid=true' if broadcast_errors.get('name') else ''}}>
  % if broadcast_errors.get('name'):
  <p class="field-error" id="b-name-error">{{broadcast_errors['name']}}</p>
  % end
  <label for="b-page_group">Page group</label>
  <select id="b-page_group" name="page_group">
    % for group in groups:
    <option value="{{group.number}}"{{' selected' if broadcast.get('page_group') == group.number else ''}}>{{group.number}} {{group.name}}</option>
    % end
  </select>
  % if broadcast_errors.get('page_group'):
  <p class="field-error" id="b-page_group-error">{{broadcast_errors['page_group']}}</p>
  % end
  <label for="b-prompt">Prompt</label>
  <input id="b-prompt" name="prompt" type="text" list="b-prompts" value="{{broadcast.get('prompt', '')}}"{{' aria-invalid=true' if broadcast_errors.get('prompt') else ''}}>
  <datalist id="b-prompts">
    % for uploaded in prompts:
    <option value="upload:{{uploaded.name}}">
    % end
  </datalist>
  % if broadcast_errors.get('prompt'):
  <p class="field-error" id="b-prompt-error">{{broadcast_errors['prompt']}}</p>
  % else:
  <p class="hint">upload:NAME for a prompt uploaded on the IVR page, or system:NAME for a system prompt</p>
  % end
  <fieldset>
    <legend>Every</legend>
    % for day in weekdays:
    <label class="check"><input type="checkbox" name="weekdays" value="{{day}}"{{' checked' if day in broadcast.get('weekdays', []) else ''}}> {{day}}</label>
    % end
  </fieldset>
  % if broadcast_errors.get('weekdays'):
  <p class="field-error" id="b-weekdays-error">{{broadcast_errors['weekdays']}}</p>
  % end
  <label for="b-on_date">Or once, on</label>
  <input id="b-on_date" name="on_date" type="date" value="{{broadcast.get('on_date') or ''}}"{{' aria-invalid=true' if broadcast_errors.get('on_date') else ''}}>
  % if broadcast_errors.get('on_date'):
  <p class="field-error" id="b-on_date-error">{{broadcast_errors['on_date']}}</p>
  % end
  <label for="b-time_of_day">At</label>
  <input id="b-time_of_day" name="time_of_day" type="time" value="{{broadcast.get('time_of_day', '')}}"{{' aria-invalid=true' if broadcast_errors.get('time_of_day') else ''}}>
  % if broadcast_errors.get('time_of_day'):
  <p class="field-error" id="b-time_of_day-error">{{broadcast_errors['time_of_day']}}</p>
  % else:
  <p class="hint">HH:MM in the appliance's time zone ({{zone_name()}})</p>
  % end
  <label class="check"><input type="checkbox" name="enabled"{{' checked' if broadcast.get('enabled') else ''}}> Enabled</label>
  <button type="submit">Save broadcast</button>
</form>
</section>
% end
</section>
