% rebase('layout')
<h1>Events</h1>
<p><a href="/events/settings">Notifications and webhooks</a></p>
<form method="get" action="/events" class="search" role="search">
  <label for="type">Type</label>
  <select id="type" name="type">
    <option value="">any</option>
    % for name, kind in types.items():
    <option value="{{name}}" {{'selected' if chosen['type'] == name else ''}}>{{kind.label}}</option>
    % end
  </select>
  <label for="severity">Severity</label>
  <select id="severity" name="severity">
    <option value="">any</option>
    % for name in severities:
    <option value="{{name}}" {{'selected' if chosen['severity'] == name else ''}}>{{name}}</option>
    % end
  </select>
  <label for="since">From</label>
  <input id="since" name="since" type="date" value="{{chosen['since']}}">
  <label for="until">To</label>
  <input id="until" name="until" type="date" value="{{chosen['until']}}">
  <button type="submit">Filter</button>
</form>
% if error:
<p class="error" role="alert">{{error}}</p>
% end
% if not found['items']:
<p class="empty">No event matches.</p>
% else:
<div class="table-wrap">
<table class="list" id="events">
  <thead><tr><th scope="col">When ({{zone_name()}})</th><th scope="col">Severity</th><th scope="col">Type</th><th scope="col">Object</th><th scope="col">What happened</th></tr></thead>
  <tbody>
  % for item in found['items']:
  <tr class="severity-{{item['severity']}}">
    <td>{{local_clock(item['at'])}}</td>
    <td>{{item['severity']}}</td>
    <td>{{types[item['type']].label if item['type'] in types else item['type']}}</td>
    <td>{{item['object']}}</td>
    <td>{{item['summary']}}</td>
  </tr>
  % end
  </tbody>
</table>
</div>
% pages = max(1, -(-found['total'] // found['per_page']))
<p class="pages">{{counted(found['total'], 'event')}}, page {{found['page']}} of {{pages}}.
% if found['page'] > 1:
<a href="{{page_link(found['page'] - 1)}}" rel="prev">Newer</a>
% end
% if found['page'] < pages:
<a href="{{page_link(found['page'] + 1)}}" rel="next">Older</a>
% end
</p>
% end
