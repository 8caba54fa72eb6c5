% rebase('layout')
<div class="heading">
  <h1>Contacts <span class="count">{{len(phonebooks)}} phonebooks</span></h1>
</div>
% if not phonebooks:
<p class="empty">No phonebooks yet. Phones show the phonebooks visible to their extension.</p>
% else:
<div class="table-wrap">
<table class="list phonebooks">
  <thead><tr><th scope="col">Phonebook</th><th scope="col">Contacts</th><th scope="col">Visible to</th></tr></thead>
  <tbody>
  % for b in phonebooks:
    <tr><td><a href="/contacts/{{b.name}}">{{b.name}}</a></td><td>{{b.contacts}}</td><td>{{b.visible_to or 'every extension'}}</td></tr>
  % end
  </tbody>
</table>
</div>
% end
% if can(Permission.CHANGE_CONTACTS):
<section class="narrow">
<h2>Add a phonebook</h2>
<form method="post" action="/contacts/new" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="name">Name</label>
  <input id="name" name="name" value="{{values.get('name', '')}}" required{{' aria-invalid=true' if errors.get('name') else ''}}>
  % if errors.get('name'):
  <p class="field-error">{{errors['name']}}</p>
  % end
  <label for="visible_to">Visible to</label>
  <input id="visible_to" name="visible_to" value="{{values.get('visible_to', '')}}" placeholder="every extension"{{' aria-invalid=true' if errors.get('visible_to') else ''}}>
  % if errors.get('visible_to'):
  <p class="field-error">{{errors['visible_to']}}</p>
  % else:
  <p class="hint">Extension numbers and ranges like 100-199,300; empty for every extension.</p>
  % end
  <button type="submit">Add phonebook</button>
</form>
</section>
% end
