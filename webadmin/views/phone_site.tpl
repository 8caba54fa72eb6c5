% rebase('layout')
% editable = editable and can(Permission.CHANGE_EXTENSIONS)
<div class="heading">
  <h1>Site settings for phones</h1>
  <a href="/phones">Phones</a>
</div>
<section class="narrow">
<p>Every provisioned phone gets these at its next fetch of its files.</p>
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
<form method="post" action="/phones/site" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="time_zone">Time zone</label>
  <input id="time_zone" name="time_zone" type="text" list="time-zones" value="{{values.get('time_zone', '')}}" placeholder="The appliance's: {{appliance_zone}}"{{'' if editable else ' disabled'}}{{' aria-invalid=true aria-describedby=time_zone-error' if errors.get('time_zone') else ''}}>
  <datalist id="time-zones">
  % for zone in zones:
    <option value="{{zone}}">
  % end
  </datalist>
  % if errors.get('time_zone'):
  <p class="field-error" id="time_zone-error">{{errors['time_zone']}}</p>
  % elif site.time_zone_set:
  <p class="hint" id="time_zone-hint">Set for the phones; empty it to follow the appliance's own, {{appliance_zone}}.</p>
  % else:
  <p class="hint" id="time_zone-hint">Empty: the phones follow the appliance's own time zone, now {{appliance_zone}}, and its changes.</p>
  % end
  <label for="ntp_server">NTP server</label>
  <input id="ntp_server" name="ntp_server" type="text" value="{{values.get('ntp_server', '')}}"{{'' if editable else ' disabled'}}{{' aria-invalid=true aria-describedby=ntp_server-error' if errors.get('ntp_server') else ''}}>
  % if errors.get('ntp_server'):
  <p class="field-error" id="ntp_server-error">{{errors['ntp_server']}}</p>
  % else:
  <p class="hint">A host name or an IP address, like pool.ntp.org</p>
  % end
  <label for="language">Language</label>
  <select id="language" name="language"{{'' if editable else ' disabled'}}{{' aria-invalid=true aria-describedby=language-error' if errors.get('language') else ''}}>
  % for code, title in languages:
    <option value="{{code}}"{{' selected' if values.get('language') == code else ''}}>{{title}}</option>
  % end
  </select>
  % if errors.get('language'):
  <p class="field-error" id="language-error">{{errors['language']}}</p>
  % end
  <label for="transport">SIP transport</label>
  <select id="transport" name="transport"{{'' if editable else ' disabled'}}{{' aria-invalid=true aria-describedby=transport-error' if errors.get('transport') else ''}}>
  % for transport in transports:
    <option value="{{transport}}"{{' selected' if values.get('transport') == transport else ''}}>{{transport.upper()}}</option>
  % end
  </select>
  % if errors.get('transport'):
  <p class="field-error" id="transport-error">{{errors['transport']}}</p>
  % else:
  <p class="hint">TLS registers on port {{tls_port}} and encrypts the signalling; UDP and TCP on the SIP port.</p>
  % end
  % if editable:
  <button type="submit">Save</button>
  % end
</form>
</section>
