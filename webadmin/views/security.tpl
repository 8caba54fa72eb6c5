% rebase('layout')
% from webadmin.security_pages import lift_action
<h1>Security</h1>
% if done:
<p class="notice" role="status">{{done}}</p>
% end
<p>The jail bans an address after {{policy.maxretry}} failures within
{{policy.findtime_s}} s, for {{policy.bantime_s}} s at first and longer each
time it comes back. Never banned: {{', '.join(policy.ignore)}}.</p>
<p>Firewall (nftables table {{firewall['table']}}):
% if firewall['managed']:
{{'loaded' if firewall['loaded'] else 'not loaded'}}, {{firewall['rules']}} rules.
% else:
not managed on this machine (EDGEPBX_FIREWALL is not set).
% end
</p>

<h2>Banned addresses</h2>
<form method="get" action="/security" class="search" role="search">
  <label for="q">Search</label>
  <input id="q" name="q" value="{{search}}" placeholder="address or reason">
  <button type="submit">Search</button>
</form>
% if not bans:
<p class="empty">{{'No banned address matches.' if search else 'No address is banned.'}}</p>
% else:
<div class="table-wrap">
<table class="list" id="bans">
  <thead><tr><th scope="col">Address</th><th scope="col">Until (UTC)</th><th scope="col">Times</th><th scope="col">Why</th><th scope="col"></th></tr></thead>
  <tbody>
  % for ban in bans:
  % row = ban.to_dict()
  <tr>
    <td>{{row['address']}}</td><td>{{row['expires']}}</td><td>{{row['offences']}}</td><td>{{row['reason']}}</td>
    <td>
      % if can(Permission.MANAGE_SECURITY):
      <form method="post" action="{{lift_action(row['address'])}}" class="inline">
        <input type="hidden" name="csrf_token" value="{{csrf_token}}">
        <button type="submit">Lift</button>
      </form>
      % end
    </td>
  </tr>
  % end
  </tbody>
</table>
</div>
% end

% if can(Permission.MANAGE_SECURITY):
<h2>Ban an address</h2>
<form method="post" action="/security/bans">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % if error:
  <p class="error" role="alert">{{error}}</p>
  % end
  <label for="address">Address (IPv4 or IPv6)</label>
  <input id="address" name="address" value="{{address}}" required>
  <label for="seconds">Seconds (empty: the jail's ban time)</label>
  <input id="seconds" name="seconds" inputmode="numeric">
  <button type="submit">Ban</button>
</form>
% end
