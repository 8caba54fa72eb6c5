% rebase('layout')
% editable = can(Permission.MANAGE_CALL_ROUTING)
<div class="heading">
  <h1>Feature codes <span class="count">{{len(entries)}}</span></h1>
</div>
<p>What phones dial for each feature. A code marked "then a number" is followed by the number it acts on. Codes are {{rule}}; a code may not be another feature's, hide another, or be a number of an extension, ring group, IVR menu or conference room.</p>
<div class="table-wrap">
<table class="list">
  <thead><tr>
    <th scope="col">Feature</th><th scope="col">Code</th><th scope="col">Default</th>
  </tr></thead>
  <tbody>
  % for entry in entries:
    <tr id="{{entry.feature}}">
      <td>{{entry.description[0].upper() + entry.description[1:]}}<br><small>{{entry.feature}}</small></td>
      <td>
      % if editable:
        <form method="post" action="/feature-codes/{{entry.feature}}" class="inline" novalidate>
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <label class="visually-hidden" for="code-{{entry.feature}}">Code of {{entry.description}}</label>
          <input id="code-{{entry.feature}}" name="code" type="text" size="8" value="{{typed.get(entry.feature, entry.code)}}"{{' aria-invalid=true aria-describedby=error-' + entry.feature if errors.get(entry.feature) else ''}}>
          <button type="submit" aria-label="Save the code of {{entry.description}}">Save</button>
        </form>
        % if entry.code != entry.default:
        <form method="post" action="/feature-codes/{{entry.feature}}/reset" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit" class="link" aria-label="Reset the code of {{entry.description}}">Reset</button>
        </form>
        % end
        % if errors.get(entry.feature):
        <p class="field-error" id="error-{{entry.feature}}">{{errors[entry.feature]}}</p>
        % end
      % else:
        {{entry.code}}
      % end
      {{' then a number' if entry.takes_number else ''}}
      </td>
      <td>{{entry.default}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>
