% # One audio file upload form (WAV or MP3): a name and the file, errors beside them.
% if errors.get(f'{kind}_form'):
<p class="error" role="alert">{{errors[f'{kind}_form']}}</p>
% end
<form method="post" action="{{action}}" enctype="multipart/form-data" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="{{kind}}_name">Name of the {{what}}</label>
  <input id="{{kind}}_name" name="name" type="text" value="{{values.get(f'{kind}_name', '')}}"{{' aria-invalid=true' if errors.get(f'{kind}_name') else ''}}>
  % if errors.get(f'{kind}_name'):
  <p class="field-error" id="{{kind}}_name-error">{{errors[f'{kind}_name']}}</p>
  % else:
  <p class="hint">Letters, digits, - and _; the same name replaces it</p>
  % end
  <label for="{{kind}}_file">WAV or MP3 file</label>
  <input id="{{kind}}_file" name="file" type="file" accept="audio/wav,audio/x-wav,audio/mpeg,.wav,.mp3"{{' aria-invalid=true' if errors.get(f'{kind}_file') else ''}}>
  % if errors.get(f'{kind}_file'):
  <p class="field-error" id="{{kind}}_file-error">{{errors[f'{kind}_file']}}</p>
  % else:
  <p class="hint">{{hint}}; {{upload_limit}}</p>
  % end
  <button type="submit">{{button}}</button>
</form>
