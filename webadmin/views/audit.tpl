% rebase('layout')
<h1>Audit log</h1>
% if not records:
<p class="empty">Nothing has been changed yet.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Object</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
  <tbody>
  % for r in records:
  <tr>
    <td>{{r.at}}</td><td>{{r.actor}}</td><td>{{r.action}}</td><td>{{r.object}}</td>
    <td class="values">{{', '.join(f'{k}={v}' for k, v in (r.before or {}).items())}}</td>
    <td class="values">{{', '.join(f'{k}={v}' for k, v in (r.after or {}).items())}}</td>
  </tr>
  % end
  </tbody>
</table>
</div>
% end
% if pages > 1:
<nav class="pages" aria-label="Pages">
  % if page > 1:
  <a href="/audit?page={{page - 1}}" rel="prev">Newer</a>
  % end
  <span>Page {{page}} of {{pages}}</span>
  % if page < pages:
  <a href="/audit?page={{page + 1}}" rel="next">Older</a>
  % end
</nav>
% end
