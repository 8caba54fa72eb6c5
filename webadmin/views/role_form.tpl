% rebase('layout')
<section class="narrow">
<h1>{{title}}</h1>
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
<form method="post" action="{{'/roles/new' if name is None else '/roles/' + name}}" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % if name is None:
  <label for="name">Name</label>
  <input id="name" name="name" value="{{values.get('name', '')}}" autocapitalize="none" required{{' aria-invalid=true' if errors.get('name') else ''}}>
  % if errors.get('name'):
  <p class="field-error">{{errors['name']}}</p>
  % end
  % end
  <label for="description">Description</label>
  <input id="description" name="description" value="{{values.get('description', '')}}">
  % if errors.get('description'):
  <p class="field-error">{{errors['description']}}</p>
  % end
  <fieldset class="matrix">
    <legend>What it may do</legend>
    <table class="list">
      <thead><tr><th scope="col">Module</th>
      % for level in levels:
        <th scope="col">{{level}}</th>
      % end
      </tr></thead>
      <tbody>
      % for module, (view, edit) in modules.items():
        % chosen = values.get('modules', {}).get(module, 'none')
        <tr><th scope="row">{{module}}</th>
        % for level in levels:
          % allowed = level != 'edit' or edit is not None
          <td>
          % if allowed:
          <input type="radio" name="module_{{module}}" value="{{level}}" aria-label="{{module}} {{level}}"{{' checked' if chosen == level else ''}}>
          % end
          </td>
        % end
        </tr>
        % if errors.get('modules.' + module):
        <tr><td colspan="4" class="field-error">{{errors['modules.' + module]}}</td></tr>
        % end
      % end
      </tbody>
    </table>
  % if errors.get('modules'):
    <p class="field-error" id="modules-error">{{errors['modules']}}</p>
  % end
  </fieldset>
  <label><input type="checkbox" name="all_extensions"{{' checked' if values.get('all_extensions') else ''}}> Every extension</label>
  <label for="extension_ranges">Or only these extensions</label>
  <input id="extension_ranges" name="extension_ranges" value="{{values.get('extension_ranges', '')}}"{{' aria-invalid=true' if errors.get('extension_ranges') else ''}}>
  % if errors.get('extension_ranges'):
  <p class="field-error" id="extension_ranges-error">{{errors['extension_ranges']}}</p>
  % else:
  <p class="hint">Numbers and ranges like 100-199,300; ignored when Every extension is ticked.</p>
  % end
  <button type="submit">{{'Add role' if name is None else 'Save'}}</button>
</form>
% if name is not None:
<form method="post" action="/roles/{{name}}/delete" class="danger" data-confirm="Remove role {{name}}?">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit" class="delete">Remove role</button>
</form>
% end
</section>
