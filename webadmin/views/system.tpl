% rebase('layout')
<h1>System</h1>

<h2>Firmware</h2>
% if firmware is None:
<p class="empty">{{no_slots}}</p>
% else:
<p>Running release <strong>{{firmware.version or "unknown"}}</strong> from slot
{{firmware.booted_slot}}.
% if firmware.trial:
<strong>It is on trial</strong>: it is kept once the health check passes
(<code>edgepbx firmware confirm</code>), otherwise the next boot returns to
slot {{firmware.default_slot}}.
% else:
The next boot is from slot {{firmware.default_slot}}.
% end
</p>
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">Slot</th><th scope="col">Partition</th><th scope="col">Release</th><th scope="col">State</th></tr></thead>
  <tbody>
  % for slot in firmware.slots:
  <tr>
    <td>{{slot.name}}{{" (running)" if slot.booted else ""}}</td>
    <td>{{slot.partition}}</td>
    <td>{{slot.version or "empty"}}</td>
    <td>{{slot.state or "-"}}</td>
  </tr>
  % end
  </tbody>
</table>
</div>
<p>Install a release with <code>edgepbx firmware apply FILE</code>.</p>
% end

% if can(Permission.MANAGE_BACKUPS):
<h2>Backup</h2>
<p>A backup holds the databases, the device key that seals the SIP
passwords, the web certificate, prompts, voicemail and recordings. Keep it
as safe as the box, or seal it with a passphrase.</p>
<form method="post" action="/system/backup" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % if errors.get('form'):
  <p class="error" role="alert">{{errors['form']}}</p>
  % end
  <label for="passphrase">Passphrase</label>
  <input id="passphrase" name="passphrase" type="password" autocomplete="new-password"{{' aria-invalid=true' if errors.get('passphrase') else ''}}>
  % if errors.get('passphrase'):
  <p class="field-error" id="passphrase-error">{{errors['passphrase']}}</p>
  % else:
  <p class="hint">Optional; 12 characters or more seals the backup</p>
  % end
  <button type="submit">Download backup</button>
</form>
<p>To restore, stop the agent and run
<code>edgepbx backup restore FILE [--passphrase-file F]</code> on the box,
then start the agent again.</p>
% end
