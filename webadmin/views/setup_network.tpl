% rebase('layout')
<section class="narrow">
% include('setup_steps')
<p>Phones and browsers reach the phone system at these addresses.</p>
<dl class="facts" id="network">
% for a in net['addresses']:
  <dt>{{a.interface}}</dt><dd><code>{{a.address}}/{{a.prefix}}</code></dd>
% end
  <dt>Listening on</dt><dd><code>{{net['bind']}}</code></dd>
  <dt>SIP</dt><dd>port {{net['sip_port']}} (UDP and TCP)</dd>
  <dt>SIP over TLS</dt><dd id="network-sip-tls">port {{net['sip_tls_port']}} (TCP)</dd>
  <dt>Web admin</dt><dd>HTTPS port {{net['https_port']}}; HTTP port {{net['http_port']}} sends browsers to HTTPS</dd>
  <dt>Phone provisioning</dt><dd>TFTP port {{net['tftp_port']}}, HTTP /prov/</dd>
</dl>
<form method="post" action="/setup/network" class="stacked">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit">Next</button>
</form>
</section>
