% rebase('layout')
<div class="heading">
  <h1>Roles</h1>
  <a class="button" href="/roles/new">New role</a>
</div>
<h2>Predefined</h2>
<ul>
% for r in predefined:
  <li><strong>{{r.title}}</strong> ({{r.value}})</li>
% end
</ul>
<h2>Custom</h2>
% if not roles:
<p class="empty">No custom roles yet. A custom role gives view or edit per module, and may see only some extensions.</p>
% else:
<div class="table-wrap">
<table class="list roles">
  <thead><tr><th scope="col">Name</th><th scope="col">Grants</th><th scope="col">Extensions</th></tr></thead>
  <tbody>
  % for r in roles:
    <tr>
      <td><a href="/roles/{{r.name}}">{{r.name}}</a></td>
      <td>{{', '.join(f'{m} {lvl}' for m, lvl in r.modules.items() if lvl != 'none') or 'nothing'}}</td>
      <td>{{r.extension_ranges or 'all'}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
