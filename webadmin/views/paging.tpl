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
