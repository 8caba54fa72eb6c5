% rebase('layout')
<h1>System</h1>

% if can(Permission.VIEW_FIRMWARE):
<h2>Firmware</h2>
% if firmware is None:
<p class="empty">{{no_slots}}</p>
% if workstation:
<p id="workstation-firmware">This is normal on a workstation (<code>make run</code>): the
phone system runs from a checkout, not from a firmware image, so there is no slot to
update and bundles cannot be installed here. The device describes its two slots in
<code>/etc/edgepbx/device.json</code>. To try updates on a workstation, describe a
simulated device and point <code>EDGEPBX_FIRMWARE_DEVICE</code> at it (the README,
"A simulated device").</p>
% end
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
% if can(Permission.MANAGE_FIRMWARE):
<h3 id="firmware">Install a release</h3>
% if bundle:
<section class="confirm" id="firmware-confirm">
<p>The bundle is signed by a trusted key and whole: release
<strong>{{bundle.version}}</strong> for {{bundle.architecture}}
({{', '.join(bundle.boards)}}), {{size_text(bundle.payload_size)}}.
Installing writes it over slot {{bundle_target}} (now
{{next((s.version for s in firmware.slots if s.name == bundle_target), None) or 'empty'}}),
then the box restarts into it once; calls in progress are cut. If it does
not pass its health check, the next boot returns to release {{firmware.version}}.</p>
<form method="post" action="/system/firmware/install" class="inline">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit" id="firmware-install">Install release {{bundle.version}} and restart</button>
</form>
<form method="post" action="/system/firmware/cancel" class="inline">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit" class="link">Cancel</button>
</form>
</section>
% else:
<form method="post" action="/system/firmware" enctype="multipart/form-data" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="firmware_bundle">Firmware bundle</label>
  <input id="firmware_bundle" name="bundle" type="file" accept=".bundle"{{' aria-invalid=true' if errors.get('firmware_bundle') else ''}}>
  % if errors.get('firmware_bundle'):
  <p class="field-error" id="firmware_bundle-error">{{errors['firmware_bundle']}}</p>
  % else:
  <p class="hint">A signed .bundle, up to {{bundle_limit}}; it is checked whole before you confirm</p>
  % end
  <button type="submit">Upload and check</button>
</form>
% end
% else:
<p>Install a release with <code>edgepbx firmware apply FILE</code>.</p>
% end
% end
% end

% if mail is not None:
% def field(name, label, kind='text', hint='', value=None, attrs=''):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="{{kind}}" value="{{mail.get(name, '') if value is None else value}}" {{!attrs}}{{!' aria-invalid="true" aria-describedby="%s-error"' % name if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % elif hint:
  <p class="hint">{{hint}}</p>
  % end
% end
<h2 id="mail">Mail</h2>
<p>Voicemail, notifications and new users' sign-in details are sent through
this SMTP server.</p>
% if mail_notice:
<p class="notice" role="status">{{mail_notice}}</p>
% end
% if can(Permission.CHANGE_SYSTEM_SETTINGS):
<form method="post" action="/system/mail" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % if errors.get('form'):
  <p class="error" role="alert">{{errors['form']}}</p>
  % end
  % field('host', 'SMTP server', hint='Host name or address; empty sends no mail', attrs='autocomplete="off"')
  <label for="security">Security</label>
  <select id="security" name="security"{{!' aria-invalid="true" aria-describedby="security-error"' if errors.get('security') else ''}}>
    % for value, label in (('starttls', 'STARTTLS (port 587)'), ('tls', 'TLS (port 465)'), ('none', 'None (port 25, LAN relays only)')):
    <option value="{{value}}"{{' selected' if mail.get('security') == value else ''}}>{{label}}</option>
    % end
  </select>
  % if errors.get('security'):
  <p class="field-error" id="security-error">{{errors['security']}}</p>
  % end
  % field('port', 'Port', kind='number', attrs='min="1" max="65535"')
  <label class="check"><input type="checkbox" name="verify_certificate" value="yes"{{' checked' if mail.get('verify_certificate') else ''}}> Check the server's certificate</label>
  % if errors.get('verify_certificate'):
  <p class="field-error" id="verify_certificate-error">{{errors['verify_certificate']}}</p>
  % end
  % field('username', 'User name', hint='Empty if the server needs no login', attrs='autocomplete="off"')
  % field('password', 'Password', kind='password', value='', hint='Set' if mail.get('password_set') else 'Not set', attrs='autocomplete="new-password"')
  % if mail.get('password_set'):
  <label class="check"><input type="checkbox" name="clear_password" value="yes"> Remove the stored password</label>
  % end
  % field('sender', 'From address', kind='email', hint='The address mail comes from')
  % field('sender_name', 'From name')
  <button type="submit">Save mail settings</button>
</form>
% if mail.get('configured'):
<form method="post" action="/system/mail/test" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % field('test_to', 'Send a test message to', kind='email', value=mail.get('test_to', ''))
  <button type="submit">Send test message</button>
</form>
% end
% else:
<p>{{'Mail goes through %s:%s.' % (mail['host'], mail['port']) if mail['configured'] else 'No mail server is set.'}}</p>
% end

<h3 id="transcription">Voicemail transcription</h3>
<p>New messages are sent to this provider and their text is put in the
voicemail e-mail and the owner's portal; docs/voicemail-transcription.md
describes the request it gets.</p>
% if can(Permission.CHANGE_SYSTEM_SETTINGS):
<form method="post" action="/system/transcription" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % if errors.get('transcription-form'):
  <p class="error" role="alert">{{errors['transcription-form']}}</p>
  % end
  <label class="check"><input type="checkbox" name="enabled" value="yes"{{' checked' if transcription.get('enabled') else ''}}> Transcribe new messages</label>
  % for name, label, kind, value, hint in (('url', 'Provider address', 'url', transcription.get('url', ''), 'http:// or https://'), ('key', 'Provider key', 'password', '', 'Set' if transcription.get('key_set') else 'Not set'), ('timeout_s', 'Wait per try (seconds)', 'number', transcription.get('timeout_s', ''), '1 to 120; a message is tried twice')):
  % error = errors.get('transcription-' + name)
  <label for="transcription-{{name}}">{{label}}</label>
  <input id="transcription-{{name}}" name="{{name}}" type="{{kind}}" value="{{value}}"{{!' autocomplete="new-password"' if kind == 'password' else ''}}{{!' aria-invalid="true" aria-describedby="transcription-%s-error"' % name if error else ''}}>
  % if error:
  <p class="field-error" id="transcription-{{name}}-error">{{error}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  % if transcription.get('key_set'):
  <label class="check"><input type="checkbox" name="clear_key" value="yes"> Remove the stored key</label>
  % end
  <button type="submit">Save transcription</button>
</form>
% else:
<p>{{'Transcription is on: %s.' % transcription['url'] if transcription['enabled'] else 'Transcription is off.'}}</p>
% end

<h3 id="mail-templates">Mail templates</h3>
<p>The wording of each kind of mail. Write a placeholder in braces, as
<code>{caller}</code>; a brace of its own is written twice, <code>{{'{{'}}</code>.
No placeholder holds a password: the portal sign-in mail adds its sign-in
lines below the body itself.</p>
% if template_notice:
<p class="notice" role="status">{{template_notice}}</p>
% end
% for t in mail_templates:
% mine = t['kind'] == template_kind
<details id="template-{{t['kind']}}"{{' open' if mine else ''}}>
  <summary>{{t['kind']}}: {{t['label']}}{{' (changed)' if t['customized'] else ''}}</summary>
  <form method="post" action="/system/mail/templates/{{t['kind']}}" class="stacked" novalidate>
    <input type="hidden" name="csrf_token" value="{{csrf_token}}">
    % if mine and errors.get('template-form'):
    <p class="error" role="alert">{{errors['template-form']}}</p>
    % end
    % for name, label in (('subject', 'Subject'), ('body', 'Body')):
    % error = errors.get('template-' + name) if mine else None
    % ident = 'template-%s-%s' % (t['kind'], name)
    <label for="{{ident}}">{{label}}</label>
    % if name == 'subject':
    <input id="{{ident}}" name="subject" type="text" value="{{t['subject']}}"{{!' aria-invalid="true" aria-describedby="%s-error"' % ident if error else ''}}>
    % else:
    <textarea id="{{ident}}" name="body" rows="10"{{!' aria-invalid="true" aria-describedby="%s-error"' % ident if error else ''}}>{{t['body']}}</textarea>
    % end
    % if error:
    <p class="field-error" id="{{ident}}-error">{{error}}</p>
    % end
    % end
    <p class="hint">Placeholders:</p>
    <ul class="hint">
    % for name, meaning in t['placeholders'].items():
      <li><code>{{'{' + name + '}'}}</code> {{meaning}}</li>
    % end
    </ul>
    % if can(Permission.CHANGE_SYSTEM_SETTINGS):
    <button type="submit" name="action" value="save">Save template</button>
    <button type="submit" name="action" value="reset" formnovalidate>Reset to default</button>
    % ident = 'template-%s-test_to' % t['kind']
    % error = errors.get('template-test_to') if mine else None
    <label for="{{ident}}">Send the saved template with sample values to</label>
    <input id="{{ident}}" name="test_to" type="email" value="{{t.get('test_to', '')}}"{{!' aria-invalid="true" aria-describedby="%s-error"' % ident if error else ''}}>
    % if error:
    <p class="field-error" id="{{ident}}-error">{{error}}</p>
    % end
    <button type="submit" name="action" value="test">Send test</button>
    % end
  </form>
</details>
% end
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

<h2 id="restore">Restore a backup</h2>
% if restore_refused:
<p class="error" role="alert" id="restore-refused">The restore{{' started by ' + restore_refused['requested_by'] if restore_refused.get('requested_by') else ''}}
was refused when the box started again, at {{local_clock(restore_refused['refused_at'])}}:
{{restore_refused['reason']}}. Nothing was changed: the box runs on the data it had before.</p>
% end
% if errors.get('restore_form'):
<p class="error" role="alert">{{errors['restore_form']}}</p>
% end
% if restore:
<section class="confirm" id="restore-confirm">
<p>The backup opened and checked whole: made on
<strong>{{local_clock(restore.manifest.created_at)}}</strong> by release
{{restore.manifest.software_version}}, {{restore.files}} files.</p>
<p>Restoring replaces everything on this box with the backup's: the
extensions, trunks, routes, accounts and every other setting, the device
key and web certificate, the prompts, voicemail and recordings. What was
changed since the backup was made is lost. The box stops its services
(calls in progress are cut), restores and starts again, which takes a
minute.</p>
<form method="post" action="/system/restore/confirm" class="inline">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit" id="restore-now" class="delete">Replace everything with this backup</button>
</form>
<form method="post" action="/system/restore/cancel" class="inline">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit" class="link">Cancel</button>
</form>
</section>
% else:
<form method="post" action="/system/restore" enctype="multipart/form-data" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="restore_passphrase">Passphrase</label>
  <input id="restore_passphrase" name="passphrase" type="password" autocomplete="off"{{' aria-invalid=true' if errors.get('restore_passphrase') else ''}}>
  % if errors.get('restore_passphrase'):
  <p class="field-error" id="restore_passphrase-error">{{errors['restore_passphrase']}}</p>
  % else:
  <p class="hint">Only for a sealed backup</p>
  % end
  <label for="restore_backup">Backup file</label>
  <input id="restore_backup" name="backup" type="file" accept=".backup"{{' aria-invalid=true' if errors.get('restore_backup') else ''}}>
  % if errors.get('restore_backup'):
  <p class="field-error" id="restore_backup-error">{{errors['restore_backup']}}</p>
  % else:
  <p class="hint">Up to {{backup_limit}}; it is checked whole, and nothing changes until you confirm</p>
  % end
  <button type="submit">Upload and check</button>
</form>
% end

<h2 id="scheduled-backups">Scheduled backups</h2>
<p>The box makes a backup on its own at the set hour (in its time zone) and
keeps the newest ones. Turning the schedule on (or moving it to an hour
already past today) makes the backup it missed at once, within half a
minute, unless one was made since. They guard against a bad change, not
against a dead card: download one now and then and keep it elsewhere.</p>
<form method="post" action="/system/backup-schedule" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="frequency">How often</label>
  <select id="frequency" name="frequency"{{' aria-invalid=true' if errors.get('frequency') else ''}}>
    % for choice in frequencies:
    <option value="{{choice}}"{{' selected' if schedule['frequency'] == choice else ''}}>{{choice.capitalize()}}</option>
    % end
  </select>
  % if errors.get('frequency'):
  <p class="field-error" id="frequency-error">{{errors['frequency']}}</p>
  % end
  <label for="weekday">Day (weekly)</label>
  <select id="weekday" name="weekday" data-weekly-day="{{stored_weekday}}"{{!' aria-invalid="true" aria-describedby="weekday-error"' if errors.get('weekday') else ''}}>
    <option value=""{{' selected' if not schedule['weekday'] else ''}}>None (daily or off)</option>
    % for day in weekdays:
    <option value="{{day}}"{{' selected' if schedule['weekday'] == day else ''}}>{{day.capitalize()}}</option>
    % end
  </select>
  % if errors.get('weekday'):
  <p class="field-error" id="weekday-error">{{errors['weekday']}}</p>
  % end
  % for name, label, hint in (('hour', 'Hour', '0 to 23'), ('keep', 'Backups kept', '1 to 100; older scheduled backups are removed')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" inputmode="numeric" value="{{schedule[name]}}"{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  <label for="schedule-passphrase">Passphrase</label>
  <input id="schedule-passphrase" name="passphrase" type="password" autocomplete="new-password"{{' aria-invalid=true' if errors.get('schedule_passphrase') else ''}}>
  % if errors.get('schedule_passphrase'):
  <p class="field-error" id="schedule-passphrase-error">{{errors['schedule_passphrase']}}</p>
  % else:
  <p class="hint">{{'Each backup is sealed; empty keeps the passphrase' if schedule['sealed'] else 'Optional; 12 characters or more seals each backup'}}</p>
  % end
  % if schedule['sealed']:
  <label class="check"><input type="checkbox" name="clear_passphrase" value="yes"> Stop sealing scheduled backups</label>
  % end
  <button type="submit">Save schedule</button>
</form>
% if stored:
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">Backup</th><th scope="col">Made ({{zone_name()}})</th><th scope="col">Size</th></tr></thead>
  <tbody>
  % for backup in stored:
    <tr>
      <td><a href="/system/backups/{{backup.name}}" download>{{backup.name}}</a></td>
      <td>{{local_clock(backup.made_at)}}</td>
      <td>{{size_text(backup.size)}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>
% else:
<p class="empty">No scheduled backup on the box yet.</p>
% end
% end
