% rebase('layout')
<h1>{{title}}</h1>
% include('portal_nav')
<form method="get" action="/portal/calls" class="inline-search" novalidate>
  % for name, label in (('since', 'From'), ('until', 'To')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="date" value="{{values.get(name, '')}}"{{!' aria-invalid="true" aria-describedby="%s-error"' % name if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % end
  % end
  <button type="submit">Show</button>
</form>
% if not calls:
<p class="empty" id="no-calls">No calls{{' in these days' if values.get('since') or values.get('until') else ' yet'}}.</p>
% else:
<div class="table-wrap">
<table class="list" id="calls">
  <thead><tr>
    <th scope="col">When ({{zone_name()}})</th><th scope="col">Call</th><th scope="col">With</th><th scope="col">Result</th><th scope="col">Talk</th>
    % if audio:
    <th scope="col">Recording</th>
    % end
  </tr></thead>
  <tbody>
  % for call in calls:
  % outgoing = call.src == own
    <tr>
      <td><time datetime="{{call.start}}">{{local_clock(call.start)}}</time></td>
      <td>{{'made' if outgoing else 'received'}}</td>
      <td>{{call.dst if outgoing else (call.caller_name + ' ' if call.caller_name else '') + call.src}}</td>
      <td>{{'missed' if not outgoing and call.disposition == 'no answer' else (call.disposition or 'in progress')}}</td>
      <td>{{'%d:%02d' % divmod(call.billsec, 60)}}</td>
      % if audio:
      <td class="recording">
        % if call.call_id not in audio:
        -
        % elif audio[call.call_id] is None:
        <span class="removed">removed</span>
        % else:
        <audio controls preload="none" src="{{audio[call.call_id]}}" aria-label="recording of this call"></audio>
        <a href="{{audio[call.call_id]}}?download=1" download>Download</a>
        % end
      </td>
      % end
    </tr>
  % end
  </tbody>
</table>
</div>
% end
