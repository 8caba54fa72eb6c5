% rebase('layout')
<div class="heading">
  <h1>Phone templates <span class="count">{{len(templates)}}</span></h1>
</div>
<p>A template replaces a model's built-in file. <code>{{'{{ built_in }}'}}</code> stands for the file as the PBX writes it, so settings can be added before or after it.</p>
% if not templates:
<p class="empty">No templates: every model gets its built-in files.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">Vendor</th><th scope="col">Model</th><th scope="col">File</th><th scope="col">Saved ({{zone_name()}})</th></tr></thead>
  <tbody>
  % for t in templates:
    <tr>
      <td>{{t.vendor}}</td>
      <td><a href="/phones/templates/{{t.vendor}}/{{t.model}}/{{t.file}}">{{t.model}}</a></td>
      <td>{{t.file}}</td>
      <td><time datetime="{{t.updated_at}}">{{local_clock(t.updated_at)}}</time> by {{t.updated_by}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
<section class="narrow">
<h2>Open a template</h2>
<form method="get" action="/phones/templates" class="stacked">
  <label for="vendor">Vendor</label>
  <select id="vendor" name="vendor">
  % for vendor in vendors:
    <option value="{{vendor.name}}">{{vendor.title}}</option>
  % end
  </select>
  <label for="model">Model</label>
  <input id="model" name="model" type="text" value="*">
  <p class="hint">A model like T54W, or * for every model of the vendor.</p>
  <label for="file">File</label>
  <select id="file" name="file">
    <option value="mac">the phone's own file</option>
    <option value="common">the common file (model *)</option>
  </select>
  <button type="submit">Open</button>
</form>
</section>
