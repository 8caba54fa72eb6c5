% # A mailbox's greeting set by an administrator from a WAV or MP3 file.
% if can(Permission.MANAGE_MEDIA) and boxes:
<section class="narrow" id="greeting">
<h2>Set a greeting from a file</h2>
% if errors.get('greeting_form'):
<p class="error" role="alert">{{errors['greeting_form']}}</p>
% end
<form method="post" action="/voicemail/greeting" enctype="multipart/form-data" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="greeting_extension">Mailbox</label>
  <select id="greeting_extension" name="extension"{{' aria-invalid=true' if errors.get('greeting_extension') else ''}}>
    % for box in boxes:
    <option{{' selected' if values.get('greeting_extension') == box.extension else ''}}>{{box.extension}}</option>
    % end
  </select>
  % if errors.get('greeting_extension'):
  <p class="field-error" id="greeting_extension-error">{{errors['greeting_extension']}}</p>
  % end
  <label for="greeting_reason">Played when</label>
  <select id="greeting_reason" name="reason"{{' aria-invalid=true' if errors.get('greeting_reason') else ''}}>
    % for reason in reasons:
    <option value="{{reason}}"{{' selected' if values.get('greeting_reason') == reason else ''}}>the extension is {{reason}}</option>
    % end
  </select>
  % if errors.get('greeting_reason'):
  <p class="field-error" id="greeting_reason-error">{{errors['greeting_reason']}}</p>
  % end
  <label for="greeting_file">WAV or MP3 file</label>
  <input id="greeting_file" name="file" type="file" accept="audio/wav,audio/x-wav,audio/mpeg,.wav,.mp3"{{' aria-invalid=true' if errors.get('greeting_file') else ''}}>
  % if errors.get('greeting_file'):
  <p class="field-error" id="greeting_file-error">{{errors['greeting_file']}}</p>
  % else:
  <p class="hint">Replaces the mailbox's greeting; {{upload_limit}}</p>
  % end
  <button type="submit">Upload greeting</button>
</form>
</section>
% end
