% rebase('layout')
<div class="heading">
  <h1>Troubleshooting</h1>
  <a href="/logs">Logs</a>
</div>
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
<section>
<h2>Packet capture</h2>
% if current.running:
<p id="capture-status" role="status">Capturing {{current.ports}} ports on {{current.interface}} into {{current.file}}: {{size_text(current.size)}} so far, until {{local_clock(current.ends_by)}} {{zone_name()}} (started by {{current.started_by}}).</p>
<form method="post" action="/troubleshoot/capture/stop" class="inline">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit">Stop capture</button>
</form>
% else:
<p id="capture-status" role="status">No capture is running. One runs at a time, up to {{limits.SECONDS_MAX}} seconds and {{limits.MEGABYTES_MAX}} MB; the newest {{limits.KEEP_FILES}} files are kept for {{limits.KEEP_DAYS}} days.</p>
<form method="post" action="/troubleshoot/capture" class="stacked narrow" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="ports">Ports</label>
  <select id="ports" name="ports">
    % for choice in port_choices:
    <option value="{{choice}}"{{' selected' if values.get('ports', 'sip') == choice else ''}}>{{choice}}</option>
    % end
  </select>
  % for name, label, default in (('seconds', 'Seconds', limits.SECONDS_DEFAULT), ('megabytes', 'Megabytes at most', limits.MEGABYTES_DEFAULT)):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" inputmode="numeric" value="{{values.get(name) or default}}"{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % end
  % end
  <label for="interface">Interface</label>
  <input id="interface" name="interface" type="text" value="{{values.get('interface') or 'any'}}"{{' aria-invalid=true' if errors.get('interface') else ''}}>
  % if errors.get('interface'):
  <p class="field-error" id="interface-error">{{errors['interface']}}</p>
  % end
  % if errors.get('ports'):
  <p class="field-error" id="ports-error">{{errors['ports']}}</p>
  % end
  <button type="submit">Start capture</button>
</form>
% end
% if files:
<div class="table-wrap">
<table class="list" id="capture-files">
  <thead><tr><th scope="col">Capture</th><th scope="col">Size</th><th scope="col">Written ({{zone_name()}})</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>
  % for f in files:
    <tr>
      <td><a href="/troubleshoot/captures/{{f.name}}">{{f.name}}</a></td>
      <td>{{size_text(f.size)}}</td>
      <td><time datetime="{{f.modified_at}}">{{local_clock(f.modified_at)}}</time></td>
      <td><a href="/troubleshoot/captures/{{f.name}}" aria-label="SIP flows in {{f.name}}">SIP flows</a> · <a href="/troubleshoot/captures/{{f.name}}/download" download>Download</a></td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
</section>
<section class="narrow">
<h2>Ping and traceroute</h2>
<form method="post" action="/troubleshoot/ping" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="host">Host</label>
  <input id="host" name="host" type="text" value="{{values.get('host', '')}}"{{' aria-invalid=true' if errors.get('host') else ''}}>
  % if errors.get('host'):
  <p class="field-error" id="host-error">{{errors['host']}}</p>
  % else:
  <p class="hint">A host name or an address, as the appliance reaches it.</p>
  % end
  <button type="submit">Ping</button>
  <button type="submit" formaction="/troubleshoot/traceroute">Traceroute</button>
</form>
% if run:
<h3>{{run.tool}} {{run.host}}: {{'answered' if run.exit_status == 0 else 'exit status ' + str(run.exit_status)}}</h3>
<pre class="preview" id="tool-output">{{run.output}}</pre>
% end
</section>
