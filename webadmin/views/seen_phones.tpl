% # Included by phones.tpl: phones that asked for their files but are not assigned.
<section id="seen">
<h2>Seen, not assigned <span class="count">{{len(seen)}}</span></h2>
% if not seen:
<p class="empty">No unknown phone has asked for its files. A phone that does (over TFTP, HTTP or plug-and-play) shows up here, to be assigned to an extension in one click.</p>
% end
% if seen_short:
<p class="hint" id="seen-pace">New phones from one network address are listed one at a time: a second unknown phone from the same address shows up here {{seen_window_s}} seconds after the first, a third {{seen_window_s}} seconds later, and so on. This keeps a device that tries one made-up MAC address after another from filling the list. Phones behind one router, or plugged in together, may take a few minutes to all appear.</p>
% end
% if seen:
% titles = {vendor.name: vendor.title for vendor in vendors}
<div class="table-wrap">
<table class="list">
  <thead><tr>
    <th scope="col">MAC address</th><th scope="col">Vendor</th><th scope="col">Model</th><th scope="col">Address</th><th scope="col">Last seen</th><th scope="col">Times</th>
    % if editable:
    <th scope="col">Assign</th>
    % end
  </tr></thead>
  <tbody>
  % for phone in seen:
  % row_values = seen_values.get(phone.mac, {})
  % row_errors = seen_errors.get(phone.mac, {})
  % prefix = 'seen-' + phone.mac
    <tr id="{{prefix}}">
      <td><code>{{phone.mac}}</code></td>
      <td>{{titles.get(phone.vendor, 'unknown')}}</td>
      <td>{{phone.model or 'unknown'}}</td>
      <td>{{phone.source_ip}} ({{phone.via}})</td>
      <td><time datetime="{{phone.last_seen}}">{{phone.last_seen[:16].replace('T', ' ')}}</time></td>
      <td>{{phone.times_seen}}</td>
      % if editable:
      <td>
        % if row_errors.get('form'):
        <p class="error" role="alert" id="{{prefix}}-error">{{row_errors['form']}}</p>
        % end
        <form method="post" action="/phones/seen/{{phone.mac}}/assign" class="inline" novalidate>
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <label for="{{prefix}}-extensions">Extension</label>
          <input id="{{prefix}}-extensions" name="extensions" type="text" size="6" value="{{row_values.get('extensions', '')}}" required{{' aria-invalid=true' if row_errors.get('extensions') else ''}}>
          % if row_errors.get('extensions'):
          <span class="field-error" id="{{prefix}}-extensions-error">{{row_errors['extensions']}}</span>
          % end
          % if not phone.vendor or row_errors.get('vendor'):
          <label for="{{prefix}}-vendor">Vendor</label>
          <select id="{{prefix}}-vendor" name="vendor">
          % for vendor in vendors:
            <option value="{{vendor.name}}"{{' selected' if row_values.get('vendor', phone.vendor) == vendor.name else ''}}>{{vendor.title}}</option>
          % end
          </select>
          % if row_errors.get('vendor'):
          <span class="field-error" id="{{prefix}}-vendor-error">{{row_errors['vendor']}}</span>
          % end
          % end
          % if not phone.model or row_errors.get('model'):
          <label for="{{prefix}}-model">Model</label>
          <input id="{{prefix}}-model" name="model" type="text" size="8" value="{{row_values.get('model', '')}}"{{' aria-invalid=true' if row_errors.get('model') else ''}}>
          % if row_errors.get('model'):
          <span class="field-error" id="{{prefix}}-model-error">{{row_errors['model']}}</span>
          % end
          % end
          <button type="submit" class="small">Assign</button>
        </form>
        <form method="post" action="/phones/seen/{{phone.mac}}/forget" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit" class="small delete">Forget</button>
        </form>
      </td>
      % end
    </tr>
  % end
  </tbody>
</table>
</div>
% end
</section>
