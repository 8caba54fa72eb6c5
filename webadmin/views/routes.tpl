% rebase('layout')
% from urllib.parse import quote
% editable = can(Permission.MANAGE_CALL_ROUTING)
<div class="heading">
  <h1>Routes</h1>
  <span><a href="/trunks">Trunks</a> · <a href="/call-rules">Call rules</a> · <a href="/calls">Call records</a></span>
</div>
% if errors.get('removal'):
<p class="error" role="alert" id="route-removal">{{errors['removal']}}</p>
% end
% if notices:
<div class="notice" role="status" id="route-notices">
  <p>Done. This leaves saved forwards without a route; calls to them are now treated as not forwarded:</p>
  <ul>
  % for notice in notices:
    <li>{{notice}}</li>
  % end
  </ul>
</div>
% end
<h2>Outbound, tried in this order</h2>
% if not outbound:
<p class="empty">No outbound routes: extensions can call only each other.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">#</th><th scope="col">Name</th><th scope="col">Dial patterns</th><th scope="col">Trunks</th><th scope="col">For</th><th scope="col">Caller ID</th>{{!'<th scope="col"><span class="visually-hidden">Change</span></th>' if editable else ''}}</tr></thead>
  <tbody>
  % for route in outbound:
    <tr>
      <td>{{route.position}}</td><td>{{route.name}}{{'' if route.enabled else ' (off)'}}</td>
      <td>{{' '.join(str(p) for p in route.patterns)}}</td>
      <td>{{' → '.join(route.trunks)}}</td>
      <td>{{', '.join(route.extensions) or 'every extension'}}</td>
      <td>{{route.caller_id or 'the extension'}}</td>
      % if editable:
      <td>
        <a href="/routes?outbound={{quote(route.name)}}#outbound-form">Edit {{route.name}}</a>
        <form method="post" action="/routes/outbound/remove" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <input type="hidden" name="name" value="{{route.name}}">
          <input type="hidden" name="version" value="{{outbound_versions[route.name]}}">
          <button type="submit" aria-label="Remove outbound route {{route.name}}">Remove</button>
        </form>
      </td>
      % end
    </tr>
  % end
  </tbody>
</table>
</div>
% end
<h2>Inbound, by DID</h2>
% if not inbound:
<p class="empty">No inbound routes: calls from trunks get 404.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">DID</th><th scope="col">Caller</th><th scope="col">Goes to</th>{{!'<th scope="col"><span class="visually-hidden">Change</span></th>' if editable else ''}}</tr></thead>
  <tbody>
  % for route in inbound:
    <tr><td>{{route.did}}</td><td>{{route.caller_id or 'anyone'}}</td><td>{{route.destination_kind}} {{route.destination}}</td>
      % if editable:
      <td>
        <a href="/routes?inbound={{quote(route.did)}}&amp;caller={{quote(route.caller_id)}}#inbound-form">Edit {{route.did}}{{' from ' + route.caller_id if route.caller_id else ''}}</a>
        <form method="post" action="/routes/inbound/remove" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <input type="hidden" name="did" value="{{route.did}}">
          <input type="hidden" name="caller_id" value="{{route.caller_id}}">
          <input type="hidden" name="version" value="{{inbound_versions[(route.did, route.caller_id)]}}">
          <button type="submit" aria-label="Remove the inbound route of {{route.did}}{{' from ' + route.caller_id if route.caller_id else ''}}">Remove</button>
        </form>
      </td>
      % end
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if editable:
<section class="narrow">
% editing = values.get('editing', '')
<h2 id="outbound-form">{{'Change outbound route ' + editing if editing else 'Add an outbound route'}}</h2>
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
<form method="post" action="{{'/routes/outbound/edit' if editing else '/routes/outbound/new'}}" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % if editing:
  <input type="hidden" name="editing" value="{{editing}}">
  <input type="hidden" name="version" value="{{values.get('version', '')}}">
  % end
  % for name, label, hint in (('name', 'Name', 'Like national'), ('patterns', 'Dial patterns', 'PATTERN[/STRIP[/PREPEND]] separated by spaces: 9|NXXXXXX 0044./4/+44'), ('trunks', 'Trunks', 'In failover order, separated by spaces'), ('extensions', 'Only for extensions', 'Separated by spaces; empty: every extension'), ('caller_id', 'Caller ID', 'Number the carrier sees; empty: the extension')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" value="{{values.get(name, '')}}"{{' readonly' if name == 'name' and editing else ''}}{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % if name == 'patterns' and (errors.get('pattern') or errors.get('strip') or errors.get('prepend')):
  <p class="field-error" id="patterns-error">{{errors.get('pattern') or errors.get('strip') or errors.get('prepend')}}</p>
  % end
  % end
  % if editing:
  <label><input type="checkbox" name="enabled" value="on"{{' checked' if values.get('enabled') == 'on' else ''}}> In use (a route not in use is skipped)</label>
  % end
  <button type="submit">{{'Save outbound route' if editing else 'Add route'}}</button>
</form>
% in_editing = values.get('in_editing', '')
<h2 id="inbound-form">{{'Change inbound route ' + in_editing if in_editing else 'Add an inbound route'}}</h2>
% if errors.get('in_form'):
<p class="error" role="alert">{{errors['in_form']}}</p>
% end
<form method="post" action="{{'/routes/inbound/edit' if in_editing else '/routes/inbound/new'}}" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % if in_editing:
  <input type="hidden" name="in_editing" value="{{in_editing}}">
  <input type="hidden" name="in_editing_caller" value="{{values.get('in_editing_caller', '')}}">
  <input type="hidden" name="in_version" value="{{values.get('in_version', '')}}">
  % end
  % for name, label, hint in (('in_did', 'DID', 'The number callers dial'), ('in_caller_id', 'Only from caller', 'Empty: anyone')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" value="{{values.get(name, '')}}"{{' readonly' if name == 'in_did' and in_editing else ''}}{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  % include('destination_select', name='in_destination', label='Goes to', empty_label='Choose where calls go', options=destinations, hint='An extension, ring group, time condition, IVR menu, queue, conference room, mailbox, or hang up')
  <button type="submit">{{'Save inbound route' if in_editing else 'Add inbound route'}}</button>
</form>
</section>
% end
