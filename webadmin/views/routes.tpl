% rebase('layout')
% editable = can(Permission.MANAGE_CALL_ROUTING)
<div class="heading">
  <h1>Routes</h1>
  <span><a href="/trunks">Trunks</a> · <a href="/call-rules">Call rules</a> · <a href="/calls">Call records</a></span>
</div>
<h2>Outbound, tried in this order</h2>
% if not outbound:
<p class="empty">No outbound routes: extensions can call only each other.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">#</th><th scope="col">Name</th><th scope="col">Dial patterns</th><th scope="col">Trunks</th><th scope="col">Caller ID</th></tr></thead>
  <tbody>
  % for route in outbound:
    <tr>
      <td>{{route.position}}</td><td>{{route.name}}</td>
      <td>{{' '.join(str(p) for p in route.patterns)}}</td>
      <td>{{' → '.join(route.trunks)}}</td>
      <td>{{route.caller_id or 'the extension'}}</td>
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
  <thead><tr><th scope="col">DID</th><th scope="col">Caller</th><th scope="col">Goes to</th></tr></thead>
  <tbody>
  % for route in inbound:
    <tr><td>{{route.did}}</td><td>{{route.caller_id or 'anyone'}}</td><td>{{route.destination_kind}} {{route.destination}}</td></tr>
  % end
  </tbody>
</table>
</div>
% end
% if editable:
<section class="narrow">
<h2>Add an outbound route</h2>
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
<form method="post" action="/routes/outbound/new" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % for name, label, hint in (('name', 'Name', 'Like national'), ('patterns', 'Dial patterns', 'PATTERN[/STRIP[/PREPEND]] separated by spaces: 9|NXXXXXX 0044./4/+44'), ('trunks', 'Trunks', 'In failover order, separated by spaces'), ('caller_id', 'Caller ID', 'Number the carrier sees; empty: the extension')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" value="{{values.get(name, '')}}"{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  % if errors.get('pattern') or errors.get('strip') or errors.get('prepend'):
  <p class="field-error" id="patterns-error">{{errors.get('pattern') or errors.get('strip') or errors.get('prepend')}}</p>
  % end
  <button type="submit">Add route</button>
</form>
<h2>Add an inbound route</h2>
<form method="post" action="/routes/inbound/new" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % for name, label, hint in (('in_did', 'DID', 'The number callers dial'), ('in_caller_id', 'Only from caller', 'Empty: anyone')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" value="{{values.get(name, '')}}"{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  % include('destination_select', name='in_destination', label='Goes to', empty_label='Choose where calls go', options=destinations, hint='An extension, ring group, time condition, IVR menu, queue, conference room, mailbox, or hang up')
  <button type="submit">Add inbound route</button>
</form>
</section>
% end
