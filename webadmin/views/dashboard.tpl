% rebase('layout')
<h1>Dashboard</h1>
<div class="cards">
  <a class="card" href="/extensions"><span class="big" id="extension-count">{{total}}</span> extensions</a>
  <div class="card"><span class="big" id="online-count">{{'?' if online is None else online}}</span> registered{{' (SIP core not answering)' if sip_core_error else ''}}</div>
  <a class="card" href="/phones"><span class="big">{{phones}}</span> phones</a>
  % if phonebooks is not None:
  <a class="card" href="/contacts"><span class="big">{{phonebooks}}</span> phonebooks</a>
  % end
  % if bans is not None:
  <a class="card" href="/security"><span class="big">{{bans}}</span> banned addresses</a>
  % end
</div>
% if changes:
<h2>Latest changes</h2>
<ul>
% for c in changes:
  <li>{{local_clock(c.at)}} · {{c.actor}} · {{c.action}} {{c.object}}</li>
% end
</ul>
% end
