% rebase('layout')
% editable = can(Permission.MANAGE_CALL_ROUTING)
<div class="heading">
  <h1>Trunks <span class="count">{{len(trunks)}}</span></h1>
  <span><a href="/routes">Routes</a> · <a href="/call-rules">Call rules</a> · <a href="/calls">Call records</a></span>
</div>
% if errors.get('changed'):
<p class="error" role="alert" id="trunk-changed">{{errors['changed']}}</p>
% end
% if not trunks:
<p class="empty">No trunks yet. A trunk connects the PBX to a carrier: by registering with an account, or as a peer that trusts this PBX's address.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr>
    <th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Server</th><th scope="col">Account</th><th scope="col">State</th><th scope="col">DIDs</th><th scope="col">Codecs</th><th scope="col">Main number</th><th scope="col">Recording</th>
  </tr></thead>
  <tbody>
  % for trunk in trunks:
    <tr>
      <td>{{trunk.name}}</td>
      <td>{{trunk.kind}}</td>
      <td><code>{{trunk.host}}:{{trunk.port}}</code> {{trunk.transport}}</td>
      <td>{{trunk.username or '-'}}</td>
      <td class="state">{{states.get(trunk.name, 'unknown')}}</td>
      <td>{{', '.join(trunk.dids) or '-'}}</td>
      <td>
        % shown = ','.join(trunk.codecs) if trunk.codecs else rules.ANY_CODEC
        % if editable:
        <form method="post" action="/trunks/{{trunk.name}}/codecs" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <input type="hidden" name="version" value="{{versions[trunk.name]}}">
          <label for="codecs-{{trunk.name}}" class="visually-hidden">Codecs of trunk {{trunk.name}}</label>
          <input id="codecs-{{trunk.name}}" name="codecs" type="text" size="12" value="{{shown}}">
          <button type="submit" aria-label="Save the codecs of trunk {{trunk.name}}">Save</button>
        </form>
        % else:
        {{shown}}
        % end
      </td>
      <td>
        % refused = errors.get('main_number:' + trunk.name)
        % if editable:
        <form method="post" action="/trunks/{{trunk.name}}/main-number" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <input type="hidden" name="version" value="{{versions[trunk.name]}}">
          <label for="main-number-{{trunk.name}}" class="visually-hidden">Main number of trunk {{trunk.name}}</label>
          <input id="main-number-{{trunk.name}}" name="main_number" type="text" inputmode="tel" size="14" value="{{trunk.main_number or ''}}" placeholder="first DID"{{' aria-invalid=true aria-describedby=main-number-' + trunk.name + '-error' if refused else ''}}>
          <button type="submit" aria-label="Save the main number of trunk {{trunk.name}}">Save</button>
        </form>
        % if refused:
        <p class="field-error" role="alert" id="main-number-{{trunk.name}}-error">{{refused}}</p>
        % end
        % else:
        {{trunk.main_number or 'first DID'}}
        % end
      </td>
      <td>
        % if editable:
        <form method="post" action="/trunks/{{trunk.name}}/recording" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <input type="hidden" name="version" value="{{versions[trunk.name]}}">
          <input type="hidden" name="recording" value="{{'off' if trunk.recording else 'on'}}">
          <span>{{'on' if trunk.recording else 'off'}}</span>
          <button type="submit" aria-label="{{'Stop' if trunk.recording else 'Start'}} recording the calls of trunk {{trunk.name}}">{{'Stop recording' if trunk.recording else 'Record calls'}}</button>
        </form>
        % else:
        {{'on' if trunk.recording else 'off'}}
        % end
      </td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if editable:
<section class="narrow">
<h2>Add a trunk</h2>
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
<form method="post" action="/trunks/new" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % for name, label, kind, hint in (('name', 'Name', 'text', 'Lower-case letters, digits and -'), ('host', 'Carrier server', 'text', 'Like sip.carrier.example'), ('port', 'Port', 'text', '5060 unless the carrier says otherwise'), ('username', 'Account user name', 'text', 'Register trunks only'), ('password', 'Account password', 'password', 'Kept sealed; never shown again'), ('codecs', 'Codecs', 'text', 'Offered to the carrier in this order, like pcma,pcmu (from ' + ', '.join(rules.CODECS).lower() + '); any: what the phones offer'), ('main_number', 'Main number', 'text', 'The number the PBX presents as its own (for an outside caller transferred out) when the route names no caller ID, like +15550100, up to ' + str(rules.MAIN_NUMBER_DIGITS_MAX) + ' digits; empty: the first DID')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="{{kind}}" value="{{values.get(name, '')}}"{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  % for name, label, choices in (('kind', 'Kind', rules.KINDS), ('transport', 'Transport', rules.TRANSPORTS), ('caller_id_header', 'Caller ID sent in', rules.CALLER_ID_HEADERS), ('did_header', 'DID read from', rules.DID_HEADERS)):
  <label for="{{name}}">{{label}}</label>
  <select id="{{name}}" name="{{name}}">
  % for choice in choices:
    <option value="{{choice}}"{{' selected' if values.get(name) == choice else ''}}>{{choice}}</option>
  % end
  </select>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % end
  % end
  <button type="submit">Add trunk</button>
</form>
</section>
% end
