% rebase('layout')
% editable = can(Permission.MANAGE_MEDIA)
<div class="heading">
  <h1>IVR menus <span class="count">{{len(menus)}}</span></h1>
</div>
% if not menus:
<p class="empty">No menus yet. A menu answers its own number, plays a prompt and sends each key to an extension, a mailbox or another menu.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr>
    <th scope="col">Number</th><th scope="col">Name</th><th scope="col">Prompt</th><th scope="col">Keys</th><th scope="col">No or bad input</th>
    % if editable:
    <th scope="col"><span class="visually-hidden">Actions</span></th>
    % end
  </tr></thead>
  <tbody>
  % for menu in menus:
    <tr>
      <td>{{menu.number}}</td>
      <td>{{menu.name}}</td>
      <td>{{menu.prompt}}</td>
      <td>{{', '.join(f'{k} → {d}' for k, d in menu.choices.items()) or 'none'}}</td>
      <td>{{menu.retries}} × {{menu.digit_timeout_s}} s, then {{menu.fallback}}</td>
      % if editable:
      <td><a href="/ivr?edit={{menu.number}}#ivr-form" aria-label="Edit IVR menu {{menu.number}}">Edit</a></td>
      % end
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if editable:
% editing = bool(values.get('version'))
<section class="narrow" id="ivr-form">
<h2>{{'Change IVR menu ' + values['number'] if editing else 'Add a menu'}}</h2>
% if errors.get('form'):
<p class="error" role="alert" id="form-error">{{errors['form']}}</p>
% end
<form method="post" action="/ivr" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <input type="hidden" name="version" value="{{values.get('version', '')}}">
  % for name, label, hint in (('number', 'Number', 'Callers dial it; not an extension number'), ('name', 'Name', 'Like Main menu'), ('prompt', 'Prompt', 'An uploaded prompt or a system prompt, like dir-welcome'), ('fallback', 'After no or bad input', 'extension:101, voicemail:101, ivr:600 or hangup'), ('digit_timeout_s', 'Seconds to press a key', '1 to 30'), ('retries', 'Tries', '1 to 10')):
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" value="{{values.get(name, '')}}"{{' readonly' if editing and name == 'number' else ''}}{{' aria-invalid=true' if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}</p>
  % end
  % end
  <label for="choices">Keys</label>
  <textarea id="choices" name="choices" rows="5"{{' aria-invalid=true' if errors.get('choices') else ''}}>{{values.get('choices', '')}}</textarea>
  % if errors.get('choices'):
  <p class="field-error" id="choices-error">{{errors['choices']}}</p>
  % else:
  <p class="hint">One per line, like 1=extension:101 or 2=ivr:601</p>
  % end
  <label><input name="dial_by_extension" type="checkbox"{{' checked' if values.get('dial_by_extension') == 'on' else ''}}> Callers may dial an extension number</label>
  <button type="submit">{{'Save menu' if editing else 'Add menu'}}</button>
  % if editing:
  <a href="/ivr">Cancel</a>
  % end
</form>
</section>
% end
<section class="narrow" id="prompts">
<h2>Prompts</h2>
% if prompts:
<ul id="prompt-list">
  % for prompt in prompts:
  <li>{{prompt.name}} ({{prompt.duration_s}} s)</li>
  % end
</ul>
% else:
<p class="empty">No prompt uploaded: menus play a system prompt, like dir-welcome.</p>
% end
% if editable:
% include('audio_upload', kind='prompt', action='/ivr/prompts', what='prompt', hint='A menu plays it when its Prompt field names it', button='Upload prompt')
% end
</section>
<section class="narrow" id="music">
<h2>Music on hold</h2>
% if music:
<ul id="music-list">
  % for piece in music:
  <li>{{piece.name}} ({{piece.duration_s}} s)</li>
  % end
</ul>
% else:
<p class="empty">No music uploaded: callers on hold hear the system's music.</p>
% end
% if editable:
% include('audio_upload', kind='music', action='/ivr/music', what='piece of music', hint='Once any is uploaded it replaces the system\'s music', button='Upload music')
% end
</section>
