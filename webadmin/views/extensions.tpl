% rebase('layout')
<div class="heading">
  <h1>Extensions <span class="count">{{page.total}}</span></h1>
  % if can(Permission.CHANGE_EXTENSIONS):
  <span><a class="button" href="/extensions/new">New extension</a> <a href="/extensions/import">Import from CSV</a></span>
  % end
</div>
<form method="get" action="/extensions" class="search" role="search">
  <label for="q" class="visually-hidden">Search</label>
  <input id="q" name="q" type="search" value="{{page.search}}" placeholder="Number, name or e-mail">
  <input type="hidden" name="sort" value="{{page.sort}}">
  <input type="hidden" name="order" value="{{'desc' if page.descending else 'asc'}}">
  <button type="submit">Search</button>
</form>
% if sip_core_error:
<p class="warning" role="status">Registration status unknown: {{sip_core_error}}.</p>
% end
% if not page.items and page.page > page.pages:
<p class="empty">Nothing on page {{page.page}}: {{'the search finds' if page.search else 'there are'}} {{page.total}} {{'extension' if page.total == 1 else 'extensions'}}, on {{page.pages}} {{'page' if page.pages == 1 else 'pages'}}. <a href="{{link(page=page.pages)}}">Go to page {{page.pages}}</a></p>
% elif not page.items:
<p class="empty">{{'No extension matches.' if page.search else 'No extensions yet.'}}</p>
% else:
<div class="table-wrap">
<table class="list extensions">
  <thead><tr>
  % for key, label in (('number', 'Number'), ('display_name', 'Name'), ('email', 'E-mail')):
    % active = page.sort == key
    % order = 'desc' if active and not page.descending else 'asc'
    <th scope="col" class="{{key}}" aria-sort="{{('descending' if page.descending else 'ascending') if active else 'none'}}"><a href="{{link(sort=key, order=order, page=1)}}">{{label}}{{(' ↓' if page.descending else ' ↑') if active else ''}}</a></th>
  % end
    <th scope="col" class="phones">Phones</th>
  </tr></thead>
  <tbody>
  % for ext in page.items:
    % phones = registered.get(ext.number, [])
    <tr>
      <td class="number"><a href="/extensions/{{ext.number}}">{{ext.number}}</a></td>
      <td class="display_name">{{ext.display_name}}{{'' if ext.enabled else ' (disabled)'}}</td>
      <td class="email">{{ext.email or ''}}</td>
      <td class="phones">
      % if sip_core_error:
        <span class="status unknown">unknown</span>
      % elif phones:
        <span class="status online" title="{{', '.join(p.user_agent or p.source for p in phones)}}">{{len(phones)}} registered</span>
      % else:
        <span class="status offline">none</span>
      % end
      </td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if page.pages > 1 and page.page <= page.pages:
<nav class="pages" aria-label="Pages">
  % if page.page > 1:
  <a href="{{link(page=page.page - 1)}}" rel="prev">Previous</a>
  % end
  <span>Page {{page.page}} of {{page.pages}}</span>
  % if page.page < page.pages:
  <a href="{{link(page=page.page + 1)}}" rel="next">Next</a>
  % end
</nav>
% end
