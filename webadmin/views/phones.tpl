% rebase('layout')
% editable = can(Permission.CHANGE_EXTENSIONS)
<div class="heading">
  <h1>Phones <span class="count">{{len(phones)}}</span></h1>
  <a href="/phones/site">Site settings for phones</a> <a href="/phones/templates">Templates</a> <a href="/phones/firmware">Firmware</a>
</div>
% if not phones:
<p class="empty">No phones yet. A phone added here fetches its settings over TFTP or from /prov/ on the plain HTTP port.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr>
    <th scope="col">MAC address</th><th scope="col">Phone</th><th scope="col">Lines</th><th scope="col">Last fetch ({{zone_name()}})</th>
  </tr></thead>
  <tbody>
  % for phone in phones:
    <tr>
      <td><a href="/phones/{{phone.mac}}"><code>{{phone.mac}}</code></a></td>
      <td>{{phone.vendor}} {{phone.model}}</td>
      <td>{{', '.join(phone.extensions) or 'none'}}</td>
      <td>
      % if phone.last_request_at:
      <time datetime="{{phone.last_request_at}}">{{local_clock(phone.last_request_at)}}</time>
      % else:
      never
      % end
      </td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% include('seen_phones')
% if editable:
<section class="narrow">
<h2>Add a phone</h2>
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
<form method="post" action="/phones/new" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % for name, label, hint in (('mac', 'MAC address', 'On the label under the phone, like 80:5E:C0:AA:BB:CC'), ('model', 'Model', 'Like T54W, VVX450, E350 or GXP2170')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" value="{{values.get(name, '')}}" required{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  <label for="vendor">Vendor</label>
  <select id="vendor" name="vendor">
  % for vendor in vendors:
    <option value="{{vendor.name}}"{{' selected' if values.get('vendor') == vendor.name else ''}}>{{vendor.title}}</option>
  % end
  </select>
  % if errors.get('vendor'):
  <p class="field-error" id="vendor-error">{{errors["vendor"]}}</p>
  % end
  <label for="extensions">Extensions</label>
  <input id="extensions" name="extensions" type="text" value="{{values.get('extensions', '')}}" required{{' aria-invalid=true' if errors.get('extensions') else ''}}>
  % if errors.get('extensions'):
  <p class="field-error" id="extensions-error">{{errors["extensions"]}}</p>
  % else:
  <p class="hint">One per line of the phone, in order, separated by spaces</p>
  % end
  <button type="submit">Add phone</button>
</form>
</section>
% end
