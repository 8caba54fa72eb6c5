% rebase('layout')
% editable = can(Permission.MANAGE_MEDIA)
<div class="heading">
  <h1>Conference rooms <span class="count">{{len(rooms)}}</span></h1>
</div>
% if not rooms:
<p class="empty">No rooms yet. Everyone who dials a room's number talks together; key 1 mutes and unmutes.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr>
    <th scope="col">Number</th><th scope="col">Name</th><th scope="col">PIN</th><th scope="col">Moderator</th><th scope="col">Members at most</th>
    % if editable:
    <th scope="col"><span class="visually-hidden">Actions</span></th>
    % end
  </tr></thead>
  <tbody>
  % for room in rooms:
    <tr>
      <td>{{room.number}}</td>
      <td>{{room.name}}</td>
      <td>{{'yes' if room.has_pin else 'no'}}</td>
      <td>{{'; '.join(n for n, on in (('PIN', room.has_moderator_pin), ('members wait', room.wait_for_moderator), ('ends the room on leaving', room.end_with_moderator)) if on) or 'no'}}</td>
      <td>{{room.max_members}}</td>
      % if editable:
      <td><a href="/conference?edit={{room.number}}#room-form" aria-label="Edit conference room {{room.number}}">Edit</a></td>
      % end
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if editable:
% editing = bool(values.get('version'))
<section class="narrow" id="room-form">
<h2>{{'Change conference room ' + values['number'] if editing else 'Add a room'}}</h2>
% if errors.get('form'):
<p class="error" role="alert" id="form-error">{{errors['form']}}</p>
% end
<form method="post" action="/conference" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <input type="hidden" name="version" value="{{values.get('version', '')}}">
  % for name, label, kind, hint in (('number', 'Number', 'text', 'Callers dial it; not an extension or menu number'), ('name', 'Name', 'text', 'Like Weekly meeting'), ('pin', 'PIN', 'password', 'Digits callers enter; empty: none, or keep the current one'), ('moderator_pin', 'Moderator PIN', 'password', 'Digits the moderator enters instead; empty: none, or keep the current one'), ('max_members', 'Members at most', 'text', f'2 to {max_members}: the calls one media worker holds')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="{{kind}}" value="{{values.get(name, '') if kind != 'password' else ''}}"{{' readonly' if editing and name == 'number' else ''}}{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  % for name, label in (('wait_for_moderator', 'Members wait with music until the moderator joins'), ('end_with_moderator', 'End the conference when the last moderator leaves')):
  <label class="check"><input type="checkbox" name="{{name}}"{{' checked' if values.get(name) else ''}}{{' aria-invalid=true' if errors.get(name) else ''}}> {{label}}</label>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % end
  % end
  <button type="submit">{{'Save room' if editing else 'Add room'}}</button>
  % if editing:
  <a href="/conference">Cancel</a>
  % end
</form>
</section>
% end
