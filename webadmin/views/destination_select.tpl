% # A destination as agent/destinations.py writes it, chosen from what exists.
% chosen = values.get(name, '')
<label for="{{name}}">{{label}}</label>
<select id="{{name}}" name="{{name}}"{{' aria-invalid=true' if errors.get(name) else ''}}>
  <option value=""{{' selected' if not chosen else ''}}>{{empty_label}}</option>
  % for value, text in options:
  <option value="{{value}}"{{' selected' if value == chosen else ''}}>{{text}}</option>
  % end
</select>
% if errors.get(name):
<p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
% else:
<p class="hint">{{hint}}</p>
% end
