% rebase('layout')
% from urllib.parse import urlencode
<div class="heading">
  <h1>Logs</h1>
  <a href="/troubleshoot">Troubleshooting</a>
</div>
<form method="get" action="/logs" class="filters" novalidate>
  <label for="daemon">Daemon</label>
  <select id="daemon" name="daemon">
    <option value="">all</option>
    % for d in daemons:
    <option value="{{d}}"{{' selected' if values['daemon'] == d else ''}}>{{d}}</option>
    % end
  </select>
  <label for="level">Level and above</label>
  <select id="level" name="level">
    <option value="">all</option>
    % for lv in levels:
    <option value="{{lv}}"{{' selected' if values['level'] == lv else ''}}>{{lv}}</option>
    % end
  </select>
  % for name, label in (('text', 'Text'), ('since', 'Since (UTC)'), ('until', 'Until (UTC)')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" value="{{values[name]}}"{{' aria-invalid=true' if errors.get(name) else ''}}>
  % end
  <button type="submit">Show</button>
</form>
% for name, text in errors.items():
<p class="field-error" role="alert" id="{{name}}-error">{{text}}</p>
% end
% if result is not None:
% if not result.entries:
<p class="empty">No log line matches.</p>
% else:
<div class="table-wrap">
<table class="list" id="log-lines">
  <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Daemon</th><th scope="col">Level</th><th scope="col">Message</th></tr></thead>
  <tbody>
  % for e in result.entries:
    <tr class="level-{{e.level}}"><td>{{e.at}}</td><td>{{e.daemon}}</td><td>{{e.level}}</td><td>{{e.text}}</td></tr>
  % end
  </tbody>
</table>
</div>
% end
<nav class="pages">
% query = {k: v for k, v in values.items() if v}
% if result.page > 1:
  <a href="/logs?{{urlencode({**query, 'page': result.page - 1})}}" rel="prev">Newer</a>
% end
% if result.more:
  <a href="/logs?{{urlencode({**query, 'page': result.page + 1})}}" rel="next">Older</a>
% end
</nav>
% end
