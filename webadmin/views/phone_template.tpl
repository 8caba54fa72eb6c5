% rebase('layout')
<section>
<h1>{{title}}</h1>
<p>{{'No template saved: phones get the built-in file.' if saved.built_in else 'Saved ' + local_clock(saved.updated_at) + ' ' + zone_name() + ' by ' + saved.updated_by + '.'}}
Values: <code>built_in</code>, <code>site</code> (server, port, ntp_server, language, voicemail_code…)
and, in a phone's file, <code>phone</code> (mac, model, admin_password, lines, keys, firmware_url, phonebook_url).</p>
% editable = can(Permission.CHANGE_EXTENSIONS)
<form method="post" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="body">Template</label>
  <textarea id="body" name="body" rows="16" spellcheck="false"{{' aria-invalid=true' if error else ''}}{{'' if editable else ' readonly'}}>{{body}}</textarea>
  % if error:
  <p class="field-error" id="body-error" role="alert">{{error}}</p>
  % end
  % if editable:
  <div class="buttons">
    <button type="submit" name="action" value="preview">Preview</button>
    <button type="submit" name="action" value="save">Save</button>
    % if not saved.built_in:
    <button type="submit" name="action" value="reset" class="delete">Back to the built-in file</button>
    % end
  </div>
  % end
</form>
% if preview is not None:
<h2>Preview for a sample phone</h2>
<pre class="preview" id="preview">{{preview}}</pre>
% end
<p><a href="/phones/templates">All templates</a></p>
</section>
