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
  <thead><tr><th scope="col">Address</th><th scope="col">Until ({{zone_name()}})</th><th scope="col">Times</th><th scope="col">Why</th><th scope="col"></th></tr></thead>
  <tbody>
  % for ban in bans:
  % row = ban.to_dict()
  <tr>
    <td>{{row['address']}}</td><td>{{local_clock(row['expires'])}}</td><td>{{row['offences']}}</td><td>{{row['reason']}}</td>
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

<h2>Where extensions may register from</h2>
<p>An extension limited to some networks refuses REGISTER and calls from
anywhere else with 403, even with the right password, and the jail counts
each refusal as a failure. Extensions not listed may register from anywhere.</p>
% if not restricted:
<p class="empty">No extension is limited.</p>
% else:
<div class="table-wrap">
<table class="list" id="allowed-networks">
  <thead><tr><th scope="col">Extension</th><th scope="col">Only from</th></tr></thead>
  <tbody>
  % for entry in restricted:
  <tr><td>{{entry.number}}</td><td>{{', '.join(entry.networks)}}</td></tr>
  % end
  </tbody>
</table>
</div>
% end
% if can(Permission.MANAGE_SECURITY) and can(Permission.CHANGE_EXTENSIONS):
<form method="post" action="/security/allowed-networks">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % if networks_error:
  <p class="error" role="alert">{{networks_error}}</p>
  % end
  <label for="extension">Extension</label>
  <input id="extension" name="extension" value="{{networks_form['extension']}}" required inputmode="numeric">
  <label for="networks">Networks (addresses or CIDR, IPv4 or IPv6, separated by spaces; empty: anywhere)</label>
  <textarea id="networks" name="networks" rows="3">{{networks_form['networks']}}</textarea>
  <button type="submit">Save</button>
</form>
% end

<h2>TLS certificate</h2>
<p>One certificate serves the web admin (HTTPS) and SIP over TLS.</p>
% if certificate is None:
<p class="empty">None yet: the appliance makes one at its first start.</p>
% else:
<dl id="certificate">
  <dt>Subject</dt><dd>{{certificate.subject}} ({{'uploaded' if certificate.uploaded else 'made by the appliance, self-signed'}})</dd>
  <dt>Names</dt><dd>{{', '.join(certificate.names) or '-'}}</dd>
  <dt>Valid until ({{zone_name()}})</dt><dd>{{local_clock(certificate.not_after)}}</dd>
  <dt>SHA-256 fingerprint</dt><dd class="fingerprint">{{certificate.fingerprint_sha256}}</dd>
</dl>
% end
% if can(Permission.MANAGE_SECURITY):
<form method="post" action="/security/certificate">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % if certificate_error:
  <p class="error" role="alert">{{certificate_error}}</p>
  % end
  <label for="certificate-pem">Certificate (PEM, then its chain)</label>
  <textarea id="certificate-pem" name="certificate" rows="6" required></textarea>
  <label for="private-key-pem">Private key (PEM, unencrypted)</label>
  <textarea id="private-key-pem" name="private_key" rows="6" required autocomplete="off"></textarea>
  <button type="submit">Install</button>
</form>
% end
