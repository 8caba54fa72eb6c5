% rebase('layout')
<section class="narrow">
<h1>{{title}}</h1>
% include('portal_nav')
<h2>How callers reach you</h2>
<dl class="facts" id="presence">
  <dt>Phones</dt>
  % if presence.phones is None:
  <dd>not known: the phone system does not answer</dd>
  % elif presence.phones:
  <dd>{{len(presence.phones)}} registered ({{', '.join(presence.phones)}})</dd>
  % else:
  <dd>none registered</dd>
  % end
  <dt>Do-not-disturb</dt><dd>{{'on' if presence.dnd else 'off'}}</dd>
  <dt>Forwarding</dt>
  % if presence.forwards:
  <dd>{{'; '.join(f'{forward_when[kind]} to {target}' for kind, target in presence.forwards.items())}}</dd>
  % else:
  <dd>off</dd>
  % end
</dl>
% if presence.rings:
<p class="hint" id="rings">Calls to {{extension.number}} ring your phones.</p>
% else:
<p class="error" id="rings">Calls to {{extension.number}} do not ring your phones. {{presence.why_not()}}</p>
% end
<p><a href="/portal/forwarding">Change forwarding and do-not-disturb</a></p>
<h2>Your profile</h2>
<dl class="facts" id="profile">
  <dt>Extension</dt><dd>{{extension.number}}</dd>
  <dt>Name</dt><dd>{{extension.display_name}}</dd>
  <dt>E-mail</dt><dd>{{extension.email or 'none'}}</dd>
  <dt>Status</dt><dd>{{'enabled' if extension.enabled else 'disabled by the administrator'}}</dd>
</dl>
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
<form method="post" action="/portal/profile" class="stacked" id="profile-form" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="name">Name</label>
  <input id="name" name="name" type="text" autocomplete="name" value="{{values.get('name', '')}}"{{' aria-invalid=true' if errors.get('name') else ''}}>
  % if errors.get('name'):
  <p class="field-error" id="name-error">{{errors['name']}}</p>
  % else:
  <p class="hint">Shown on your calls and in the phonebook</p>
  % end
  <label for="email">E-mail address</label>
  <input id="email" name="email" type="email" autocomplete="email" value="{{values.get('email', '')}}"{{' aria-invalid=true' if errors.get('email') else ''}}>
  % if errors.get('email'):
  <p class="field-error" id="email-error">{{errors['email']}}</p>
  % else:
  <p class="hint">Where your voicemail and notices are sent; leave empty for none</p>
  % end
  <button type="submit" id="save-profile">Save profile</button>
</form>
<h2>Your caller ID</h2>
<dl class="facts" id="caller-id">
  <dt>To outside numbers</dt><dd>{{'withheld (shown as Anonymous)' if extension.withhold_number else (extension.outside_cid_number or 'the company\'s number')}}{{' · ' + extension.outside_cid_name if extension.outside_cid_name and not extension.withhold_number else ''}}</dd>
  <dt>To colleagues</dt><dd>{{extension.internal_cid_name or extension.display_name}}</dd>
</dl>
<form method="post" action="/portal/withhold" class="stacked" id="withhold-form">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label class="check"><input type="checkbox" name="withhold_number" id="withhold_number"{{' checked' if extension.withhold_number else ''}}> Withhold my number on outside calls</label>
  <p class="hint">The numbers and names are set by your administrator; dial {{withhold_code}} before a number to withhold it on that call only</p>
  <button type="submit" id="save-withhold">Save</button>
</form>
</section>
