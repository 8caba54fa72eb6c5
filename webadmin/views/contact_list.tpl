<form method="get" action="{{action}}" class="search" role="search">
  <label for="q" class="visually-hidden">Search</label>
  <input id="q" name="q" type="search" value="{{search}}" placeholder="Name, company or number">
  <button type="submit">Search</button>
</form>
% if errors.get('q'):
<p class="error">{{errors['q']}}</p>
% end
% if not contacts:
<p class="empty">{{'No contact matches.' if search else 'No contacts yet.'}}</p>
% else:
<div class="table-wrap">
<table class="list contacts">
  <thead><tr><th scope="col">Name</th><th scope="col">Company</th><th scope="col">Number</th><th scope="col">E-mail</th><th scope="col"></th></tr></thead>
  <tbody>
  % for c in contacts:
    <tr>
      <td>{{c.name}}</td><td>{{c.company}}</td><td>{{c.number}}</td><td>{{c.email or ''}}</td>
      <td>
      % if editable:
        <form method="post" action="{{action}}/{{c.id}}/delete" class="inline" data-confirm="Remove {{c.name}}?">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit" class="small delete">Remove</button>
        </form>
      % end
      </td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if editable:
<section class="narrow">
<h2>Add a contact</h2>
<form method="post" action="{{action}}/add" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % for field, label in (('name', 'Name'), ('company', 'Company'), ('number', 'Number'), ('email', 'E-mail')):
  <label for="contact-{{field}}">{{label}}</label>
  <input id="contact-{{field}}" name="{{field}}" value="{{values.get(field, '')}}"{{!' aria-invalid="true" aria-describedby="contact-%s-error"' % field if errors.get(field) else ''}}>
  % if errors.get(field):
  <p class="field-error" id="contact-{{field}}-error">{{errors[field]}}</p>
  % end
  % end
  <button type="submit">Add contact</button>
</form>
<h2>Import contacts from CSV</h2>
% include('import_form', import_action=action + '/import', columns=('name', 'company', 'number', 'email'))
</section>
% end
