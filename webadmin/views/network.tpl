% rebase('layout')
<h1>Network</h1>
% if done:
<p class="notice" role="status">{{done}}</p>
% end
% pending = report['pending']
% if pending:
<section class="pending" id="pending">
<p role="alert">New settings are on trial ({{pending['settings']['address'] or 'DHCP'}}):
they are undone in <strong>{{pending['seconds_left']}} s</strong> unless kept.</p>
% if can(Permission.MANAGE_NETWORK):
<form method="post" action="/network/confirm" class="inline">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit">Keep</button>
</form>
<form method="post" action="/network/revert" class="inline">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit" class="secondary">Undo now</button>
</form>
% end
</section>
% end

<h2>Ports</h2>
<div class="table-wrap">
<table class="list" id="interfaces">
  <thead><tr><th scope="col">Port</th><th scope="col">State</th><th scope="col">MAC</th><th scope="col">Addresses</th></tr></thead>
  <tbody>
  % for iface in report['interfaces']:
  <tr><td>{{iface['name']}}</td><td>{{'up' if iface['up'] else 'down'}}</td>
      <td>{{iface['mac'] or '-'}}</td><td>{{', '.join(iface['addresses']) or '-'}}</td></tr>
  % end
  </tbody>
</table>
</div>
<p>Default gateway: {{report['gateway'] or 'none'}}</p>

% if can(Permission.MANAGE_NETWORK):
<h2>Settings</h2>
<form method="post" action="/network" id="network-form">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % if error:
  <p class="error" role="alert">{{error}}</p>
  % end
  % vlan = form.get('voice_vlan') or {}
  <label for="interface">LAN port</label>
  <input id="interface" name="interface" value="{{form.get('interface') or ''}}" required>
  <label for="mode">Address from</label>
  <select id="mode" name="mode">
    <option value="dhcp" {{'selected' if form.get('mode') != 'static' else ''}}>DHCP</option>
    <option value="static" {{'selected' if form.get('mode') == 'static' else ''}}>a static address</option>
  </select>
  <label for="address">Static address with prefix (like 192.0.2.10/24)</label>
  <input id="address" name="address" value="{{form.get('address') or ''}}">
  <label for="gateway">Gateway</label>
  <input id="gateway" name="gateway" value="{{form.get('gateway') or ''}}">
  <label for="dns">Name servers (space between)</label>
  <input id="dns" name="dns" value="{{' '.join(form.get('dns') or []) if not isinstance(form.get('dns'), str) else form.get('dns')}}">
  <label for="vlan_id">Voice VLAN number (empty: none)</label>
  <input id="vlan_id" name="vlan_id" inputmode="numeric" value="{{vlan.get('id') or ''}}">
  <label for="vlan_address">Address on the voice VLAN</label>
  <input id="vlan_address" name="vlan_address" value="{{vlan.get('address') or ''}}">
  <label for="hostname">Host name</label>
  <input id="hostname" name="hostname" value="{{form.get('hostname') or 'edgepbx'}}">
  <label for="ntp">Time servers (space between)</label>
  <input id="ntp" name="ntp" value="{{' '.join(form.get('ntp') or []) if not isinstance(form.get('ntp'), str) else form.get('ntp')}}">
  <label for="timezone">Time zone</label>
  <input id="timezone" name="timezone" value="{{form.get('timezone') or 'UTC'}}">
  <p>Applied settings are undone after 60 s unless you press Keep.</p>
  <button type="submit">Apply</button>
</form>
% end
