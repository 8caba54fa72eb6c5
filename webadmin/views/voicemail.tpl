% rebase('layout')
% editable = can(Permission.MANAGE_MEDIA)
<div class="heading">
  <h1>Voicemail <span class="count">{{len(boxes)}}</span></h1>
</div>
% if not boxes:
<p class="empty">No mailboxes yet. Callers who find an extension busy or unanswered reach its mailbox once it has one; its owner dials *97.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr>
    <th scope="col">Extension</th><th scope="col">State</th><th scope="col">New</th><th scope="col">Old</th><th scope="col">E-mail</th><th scope="col">Transcribed</th><th scope="col">Greetings</th>
  </tr></thead>
  <tbody>
  % for box in boxes:
    <tr>
      <td>{{box.extension}}</td>
      <td>{{'on' if box.enabled else 'off'}}</td>
      <td>{{box.new_messages}}</td>
      <td>{{box.old_messages}}</td>
      <td>{{box.email if box.email_enabled else 'off'}}</td>
      <td>{{'yes' if box.transcribe else 'no'}}</td>
      <td>{{', '.join(box.greetings) or 'default'}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if editable:
<section class="narrow">
<h2>Add or change a mailbox</h2>
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
<form method="post" action="/voicemail" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="extension">Extension</label>
  <input id="extension" name="extension" type="text" inputmode="numeric" value="{{values.get('extension', '')}}" required{{' aria-invalid=true' if errors.get('extension') else ''}}>
  % if errors.get('extension'):
  <p class="field-error" id="extension-error">{{errors['extension']}}</p>
  % end
  <label for="pin">PIN</label>
  <input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="new-password" value=""{{' aria-invalid=true' if errors.get('pin') else ''}}>
  % if errors.get('pin'):
  <p class="field-error" id="pin-error">{{errors['pin']}}</p>
  % else:
  <p class="hint">4 to 10 digits; leave empty to keep the current one</p>
  % end
  <label><input name="enabled" type="checkbox"{{' checked' if values.get('enabled') == 'on' else ''}}> Callers can leave messages</label>
  <label><input name="email" type="checkbox"{{' checked' if values.get('email') == 'on' else ''}}> E-mail each message to the extension's address</label>
  % if errors.get('email_enabled'):
  <p class="field-error" id="email-error">{{errors['email_enabled']}}</p>
  % end
  <label><input name="transcribe" type="checkbox"{{' checked' if values.get('transcribe') == 'on' else ''}}> Transcribe its messages while transcription is on (System page)</label>
  <button type="submit">Save mailbox</button>
</form>
</section>
% end
% include('voicemail_greeting')
