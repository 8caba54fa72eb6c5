% rebase('layout')
<div class="heading">
  <h1>Accounts <span class="count">{{len(accounts)}}</span></h1>
  <span><a href="/roles">Roles</a> · <a href="/tokens">API tokens</a></span>
</div>
% if errors.get('form') or errors.get('role') and not values:
<p class="error" role="alert">{{errors.get('form') or errors.get('role')}}</p>
% end
<div class="table-wrap">
<table class="list accounts">
  <thead><tr><th scope="col">User name</th><th scope="col">Role</th><th scope="col">Extension</th><th scope="col">Password</th><th scope="col"></th></tr></thead>
  <tbody>
  % for a in accounts:
    <tr>
      <td>{{a.username}}</td>
      <td>
        <form method="post" action="/accounts/{{a.username}}/role" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <input type="hidden" name="version" value="{{versions[a.username]}}">
          <label class="visually-hidden" for="role-{{a.username}}">Role of {{a.username}}</label>
          <select id="role-{{a.username}}" name="role">
          % for r in roles:
            <option value="{{r}}"{{' selected' if r == a.role else ''}}>{{r}}</option>
          % end
          </select>
          <button type="submit" class="small">Set</button>
        </form>
      </td>
      <td>{{a.extension or ''}}</td>
      <td>{{'one-time, not yet changed' if a.must_change_password else 'chosen'}}</td>
      <td>
        <form method="post" action="/accounts/{{a.username}}/reset" class="inline" data-confirm="Give {{a.username}} a new one-time password?">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit" class="small">Reset password</button>
        </form>
        % if a.username != principal.name:
        <form method="post" action="/accounts/{{a.username}}/delete" class="inline" data-confirm="Remove account {{a.username}}?">
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
<section class="narrow">
<h2>Add an account</h2>
<form method="post" action="/accounts/new" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="username">User name</label>
  <input id="username" name="username" value="{{values.get('username', '')}}" autocapitalize="none" required{{' aria-invalid=true' if errors.get('username') else ''}}>
  % if errors.get('username'):
  <p class="field-error">{{errors['username']}}</p>
  % else:
  <p class="hint">3 to 32 of a-z, 0-9, dot, dash, underscore. A user of one extension gets a portal account from the extension's page instead.</p>
  % end
  <label for="role">Role</label>
  <select id="role" name="role">
  % for r in roles:
    <option value="{{r}}"{{' selected' if r == values.get('role') else ''}}>{{r}}</option>
  % end
  </select>
  <button type="submit">Add account</button>
</form>
</section>
