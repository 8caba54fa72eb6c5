% rebase('layout')
% editable = can(Permission.MANAGE_CALL_ROUTING)
<div class="heading">
  <h1>Speed dials <span class="count">{{len(entries)}}</span></h1>
</div>
% if not entries:
<p class="empty">No speed dials yet. Every phone dials {{prefix}} and a short code to reach the stored number; outside numbers still go through the outbound routes.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr>
    <th scope="col">Dial</th><th scope="col">Number</th><th scope="col">Name</th>
    % if editable:
    <th scope="col"><span class="visually-hidden">Actions</span></th>
    % end
  </tr></thead>
  <tbody>
  % for entry in entries:
    <tr>
      <td>{{entry.dial}}</td>
      <td>{{entry.number}}</td>
      <td>{{entry.name}}</td>
      % if editable:
      <td>
        <a href="/speed-dials?edit={{entry.code}}#speed-dial-form" aria-label="Edit speed dial {{entry.dial}}">Edit</a>
        <form method="post" action="/speed-dials/{{entry.code}}/remove" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit" class="link" aria-label="Remove speed dial {{entry.dial}}">Remove</button>
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
% editing = bool(values.get('version'))
<section class="narrow" id="speed-dial-form">
<h2>{{'Change speed dial ' + prefix + values['code'] if editing else 'Add a speed dial'}}</h2>
% if errors.get('form'):
<p class="error" role="alert" id="form-error">{{errors['form']}}</p>
% end
<form method="post" action="/speed-dials" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <input type="hidden" name="version" value="{{values.get('version', '')}}">
  % for name, label, hint in (('code', 'Code', '1 to 3 digits; phones dial ' + prefix + ' and the code'), ('number', 'Number', 'An extension, a service number or an outside number, as a phone would dial it'), ('name', 'Name', 'Like Head office reception (optional)')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" value="{{values.get(name, '')}}"{{' readonly' if editing and name == 'code' else ''}}{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  <button type="submit">{{'Save speed dial' if editing else 'Add speed dial'}}</button>
  % if editing:
  <a href="/speed-dials">Cancel</a>
  % end
</form>
</section>
% end
