% rebase('layout')
<div class="heading">
  <h1>{{title}} <span class="count">{{book.contacts}}</span></h1>
  <a href="/contacts">All phonebooks</a>
</div>
<p>Visible to {{book.visible_to or 'every extension'}}.</p>
% include('contact_list')
% if editable:
<section class="narrow">
<h2>Who sees it</h2>
<form method="post" action="/contacts/{{book.name}}/visibility" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="visible_to">Visible to</label>
  <input id="visible_to" name="visible_to" value="{{book.visible_to or ''}}" placeholder="every extension"{{' aria-invalid=true' if errors.get('visible_to') else ''}}>
  % if errors.get('visible_to'):
  <p class="field-error">{{errors['visible_to']}}</p>
  % end
  <button type="submit">Save</button>
</form>
<form method="post" action="/contacts/{{book.name}}/delete" class="danger" data-confirm="Remove phonebook {{book.name}} and its contacts?">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit" class="delete">Remove phonebook</button>
</form>
</section>
% end
