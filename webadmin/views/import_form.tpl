% if errors.get('csv'):
<p class="error" role="alert" id="import-error">{{errors['csv']}}</p>
% end
% if errors.get('rows'):
<ul class="rows-errors" id="import-rows">
  % for e in errors['rows']:
  <li>Row {{e.row}}: {{e.message}}</li>
  % end
</ul>
% end
<form method="post" action="{{import_action}}" class="stacked" enctype="multipart/form-data">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="file">CSV file</label>
  <input id="file" name="file" type="file" accept=".csv,text/csv">
  <label for="text">Or paste it here</label>
  <textarea id="text" name="text" spellcheck="false" placeholder="{{','.join(columns)}}"></textarea>
  <p class="hint">The first row names the columns, from: {{', '.join(columns)}}. Every row is checked first; if any is wrong, nothing is imported.</p>
  <button type="submit">Import</button>
</form>
