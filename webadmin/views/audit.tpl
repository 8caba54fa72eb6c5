% rebase('layout')
<h1>Audit log</h1>
% if not records:
<p class="empty">Nothing has been changed yet.</p>
% else:
% # An empty value (no e-mail, say) shows as a dash, not as "None".
% shown = lambda values: ', '.join(f"{k}={'—' if v in (None, '') else v}" for k, v in (values or {}).items())
<div class="table-wrap">
<table class="list audit">
  <thead><tr><th scope="col">When ({{zone_name()}})</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Object</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
  <tbody>
  % for r in records:
  <tr>
    <td data-label="When ({{zone_name()}})">{{local_clock(r.at)}}</td><td data-label="Who">{{r.actor}}</td><td data-label="What">{{r.action}}</td><td data-label="Object">{{r.object}}</td>
    <td class="values" data-label="Before">{{shown(r.before)}}</td>
    <td class="values" data-label="After">{{shown(r.after)}}</td>
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
