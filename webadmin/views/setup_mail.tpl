% rebase('layout')
<section class="narrow">
% include('setup_steps')
<p>Voicemail, portal sign-in details and notices are sent through this server.</p>
% if sent:
<p class="notice" role="status" id="mail-sent">{{sent}}</p>
% end
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
<form method="post" action="/setup/mail" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % for name, label, kind in (('host', 'SMTP server', 'text'), ('port', 'Port', 'text'), ('username', 'User name', 'text'), ('password', 'Password', 'password'), ('sender', 'From address', 'email')):
  <label for="mail-{{name}}">{{label}}</label>
  <input id="mail-{{name}}" name="{{name}}" type="{{kind}}" value="{{'' if name == 'password' else mail.get(name, '') or ''}}"{{' placeholder="(kept)"' if name == 'password' and mail.get('password_set') else ''}}{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error">{{errors[name]}}</p>
  % end
  % end
  <label for="mail-security">Security</label>
  <select id="mail-security" name="security"{{!' aria-invalid="true" aria-describedby="mail-security-error"' if errors.get('security') else ''}}>
  % for value, label in (('starttls', 'STARTTLS (port 587)'), ('tls', 'TLS (port 465)'), ('none', 'None (port 25, LAN relay)')):
    <option value="{{value}}"{{' selected' if mail.get('security') == value else ''}}>{{label}}</option>
  % end
  </select>
  % if errors.get('security'):
  <p class="field-error" id="mail-security-error">{{errors['security']}}</p>
  % end
  <label for="test_to">Send a test message to</label>
  <input id="test_to" name="test_to" type="email" value="{{mail.get('test_to', '')}}"{{' aria-invalid=true' if errors.get('test_to') else ''}}>
  % if errors.get('test_to'):
  <p class="field-error" id="test-error">{{errors['test_to']}}</p>
  % else:
  <p class="hint">Optional: with an address here, Save sends a test message and stays on this step.</p>
  % end
  <button type="submit" id="mail-save">Save</button>
</form>
<form method="post" action="/setup/mail" class="inline">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <input type="hidden" name="skip" value="1">
  <button type="submit" id="mail-next">{{'Next' if mail.get('configured') else 'Skip for now'}}</button>
</form>
</section>
