% rebase('layout')
<div class="heading">
  <h1>API tokens <span class="count">{{len(tokens)}}</span></h1>
  <span><a href="/accounts">Accounts</a> · <a href="/api/v1/openapi.json">API description</a></span>
</div>
% if not tokens:
<p class="empty">No API tokens. Scripts use one as <code>Authorization: Bearer TOKEN</code>.</p>
% else:
<div class="table-wrap">
<table class="list tokens">
  <thead><tr><th scope="col">Id</th><th scope="col">For</th><th scope="col">Role</th><th scope="col">Made by</th><th scope="col">Last used ({{zone_name()}})</th><th scope="col"></th></tr></thead>
  <tbody>
  % for t in tokens:
    <tr>
      <td>{{t.id}}</td><td>{{t.name}}</td><td>{{t.role}}</td><td>{{t.created_by}}</td><td>
      % if t.last_used_at:
      <time datetime="{{t.last_used_at}}">{{local_clock(t.last_used_at)}}</time>
      % else:
      never
      % end
      </td>
      <td>
        <form method="post" action="/tokens/{{t.id}}/revoke" class="inline" data-confirm="Revoke token {{t.id}} ({{t.name}})? Scripts using it stop working.">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit" class="small delete">Revoke</button>
        </form>
      </td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
<section class="narrow">
<h2>Make a token</h2>
<form method="post" action="/tokens/new" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="name">What it is for</label>
  <input id="name" name="name" value="{{values.get('name', '')}}" required{{' aria-invalid=true' if errors.get('name') else ''}}>
  % if errors.get('name'):
  <p class="field-error">{{errors['name']}}</p>
  % end
  <label for="role">Role</label>
  <select id="role" name="role">
  % for r in roles:
    <option value="{{r}}"{{' selected' if r == values.get('role') else ''}}>{{r}}</option>
  % end
  </select>
  % if errors.get('role'):
  <p class="field-error">{{errors['role']}}</p>
  % end
  <button type="submit">Make token</button>
</form>
</section>
