% rebase('layout')
% editable = can(Permission.CHANGE_EXTENSIONS)
<section class="narrow">
<h1>{{title}}</h1>
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
% def field(name, label, kind='text', hint='', required=False):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="{{kind}}" value="{{values.get(name, '')}}"{{' required' if required else ''}}{{'' if editable else ' readonly'}}{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % elif hint:
  <p class="hint">{{hint}}</p>
  % end
% end
<form method="post" action="{{'/extensions/new' if number is None else '/extensions/' + number}}" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % if number is not None:
  <input type="hidden" name="version" value="{{values.get('version', '')}}">
  % end
  % if number is None:
  % field('number', 'Number', hint='2 to 6 digits; phones register with it as user name', required=True)
  % end
  % field('display_name', 'Name', hint='Shown on the phones it calls', required=True)
  % field('email', 'E-mail', kind='email', hint='Optional; for voicemail and notices')
  % if number is not None:
  % field('pickup_group', 'Pickup group', hint='Optional; its members answer each other\'s ringing calls with *8, and anyone in it picks up a member with ** and the number')
  <h2>Caller ID</h2>
  % field('outside_cid_number', 'Outside number', kind='tel', hint='Optional; the number carriers are given, 1 to 15 digits with an optional leading +. Empty: the route\'s caller ID, else the trunk\'s main number, else this extension\'s number')
  % field('outside_cid_name', 'Outside name', hint='Optional; the name carriers are given')
  % field('internal_cid_name', 'Internal name', hint='Optional; what the other extensions\' phones show. Empty: the name above')
  <label class="check"><input type="checkbox" name="withhold_number"{{' checked' if values.get('withhold_number') else ''}}{{'' if editable else ' disabled'}}> Withhold the number on outside calls (the carrier shows "Anonymous"; the withhold code {{withhold_code}} does it for one call)</label>
  <label class="check"><input type="checkbox" name="enabled"{{' checked' if values.get('enabled') else ''}}{{'' if editable else ' disabled'}}> Enabled (phones may register and call)</label>
  <label for="recording">Call recording</label>
  <select id="recording" name="recording"{{'' if editable else ' disabled'}}{{' aria-invalid=true' if errors.get('recording') else ''}}>
    % for choice, label in (('off', 'Off'), ('inbound', 'Calls it takes'), ('outbound', 'Calls it makes'), ('both', 'Every call')):
    <option value="{{choice}}"{{' selected' if values.get('recording') == choice else ''}}>{{label}}</option>
    % end
  </select>
  % if errors.get('recording'):
  <p class="field-error" id="recording-error">{{errors['recording']}}</p>
  % else:
  <p class="hint">Recordings are listed on the Calls page</p>
  % end
  % end
  % if editable:
  <button type="submit">{{'Add extension' if number is None else 'Save'}}</button>
  % end
</form>
% if number is not None:
<h2>Phones</h2>
% if sip_core_error:
<p class="warning">Registration status unknown: {{sip_core_error}}.</p>
% elif not registrations:
<p class="empty">No phone is registered.</p>
% else:
<ul class="phones">
  % for reg in registrations:
  <li><code>{{reg.contact}}</code> from {{reg.source}} · {{reg.user_agent or 'unknown phone'}} · expires in {{reg.expires_in_s}} s</li>
  % end
</ul>
% end
% include('call_features', features_action='/extensions/' + number + '/features', features_editable=editable)
% if editable:
<h2>User portal</h2>
<form method="post" action="/extensions/{{number}}/portal-account" class="inline">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit" id="portal-account">Give the user a portal account</button>
</form>
<p class="hint">The user signs in with {{number}} or the extension's e-mail address; the one-time password is shown once and e-mailed when a mail server is set.</p>
<form method="post" action="/extensions/{{number}}/delete" class="danger" data-confirm="Delete extension {{number}}? Its phones stop working.">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit" class="delete">Delete extension</button>
</form>
% end
% end
</section>
