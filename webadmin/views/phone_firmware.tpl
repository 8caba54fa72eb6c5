% rebase('layout')
% editable = can(Permission.CHANGE_EXTENSIONS)
<div class="heading">
  <h1>Phone firmware <span class="count">{{len(files)}}</span></h1>
</div>
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
% if not files:
<p class="empty">No firmware uploaded: phones keep the firmware they have.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">Phone</th><th scope="col">Version</th><th scope="col">File</th><th scope="col">Size</th><th scope="col">Phones run it</th></tr></thead>
  <tbody>
  % for f in files:
    <tr>
      <td>{{f.vendor}} {{f.model}}</td>
      <td>{{f.version}}</td>
      <td><code>{{f.file_name}}</code></td>
      <td>{{f.size}}</td>
      <td>
      % if f.target:
        yes
      % elif editable:
        <form method="post" action="/phones/firmware/target">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <input type="hidden" name="vendor" value="{{f.vendor}}">
          <input type="hidden" name="model" value="{{f.model}}">
          <input type="hidden" name="version" value="{{f.version}}">
          <button type="submit">Upgrade {{f.model}} phones to it</button>
        </form>
      % else:
        no
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
<h2>Upload firmware</h2>
<form method="post" action="/phones/firmware/upload" enctype="multipart/form-data" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="vendor">Vendor</label>
  <select id="vendor" name="vendor">
  % for vendor in vendors:
    <option value="{{vendor.name}}"{{' selected' if values.get('vendor') == vendor.name else ''}}>{{vendor.title}}</option>
  % end
  </select>
  % for name, label, hint in (('model', 'Model', 'Like T54W'), ('version', 'Version', 'The version the file holds, like 96.86.0.100')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" value="{{values.get(name, '')}}"{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  <label for="file">File</label>
  <input id="file" name="file" type="file">
  % if errors.get('file') or errors.get('file_name'):
  <p class="field-error" id="file-error">{{errors.get('file') or errors.get('file_name')}}</p>
  % else:
  <p class="hint">Keep the vendor's file name: some phones ask for it by name.</p>
  % end
  <label><input type="checkbox" name="target" value="1"> Upgrade the model's phones to it</label>
  <button type="submit">Upload</button>
</form>
</section>
% end
