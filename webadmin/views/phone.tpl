% rebase('layout')
<section class="narrow">
<h1>{{title}}</h1>
<dl class="facts">
  <dt>Phone</dt><dd>{{phone.vendor}} {{phone.model}}
  % if reported_model:
  <span class="note" id="model-replaced">The phone reported model {{reported_model}}; {{phone.model}} is used now.</span>
  % end
  </dd>
  <dt>Lines</dt><dd>{{', '.join(phone.extensions) or 'none'}}</dd>
  <dt>Configuration version</dt><dd>{{phone.config_version}}</dd>
  % if phone.last_request_at:
  <dt>Last fetch</dt><dd><code>{{phone.last_request_file}}</code> at <time datetime="{{phone.last_request_at}}">{{local_clock(phone.last_request_at)}}</time> {{zone_name()}} from {{phone.last_request_ip}}</dd>
  <dt>User agent</dt><dd>{{phone.last_user_agent or 'not sent'}}</dd>
  % else:
  <dt>Last fetch</dt><dd>never</dd>
  % end
  % if admin_password:
  <dt>Admin password</dt><dd><code>{{admin_password}}</code> (user admin, for the phone's own web page)</dd>
  % end
</dl>
<h2>Programmable keys</h2>
% if no_keys:
<p class="empty" id="no-keys">{{no_keys}}.</p>
% elif keys:
<ol class="keys">
  % for key in keys:
  <li value="{{key.position}}">{{key.label}} <span class="hint">({{key.kind}}{{' ' + key.target if key.target else ''}}, line {{key.line}})</span></li>
  % end
</ol>
% else:
<p class="empty">No programmable keys.</p>
% end
% if can(Permission.CHANGE_EXTENSIONS):
% if not no_keys:
<form method="post" action="/phones/{{phone.mac}}/keys" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="keys">Keys, one a line from key 1 on</label>
  <textarea id="keys" name="keys" rows="6"{{' aria-invalid=true' if errors.get('keys') else ''}}>{{values.get('keys', '')}}</textarea>
  % if errors.get('keys'):
  <p class="field-error" id="keys-error">{{errors['keys']}}</p>
  % else:
  <p class="hint">blf:102 watches extension 102; park:7001:Park 1 a park slot; line:2 shows line 2; add @2 to use line 2.</p>
  % end
  <button type="submit">Save keys</button>
</form>
% end
<h2>Overrides</h2>
<form method="post" action="/phones/{{phone.mac}}/overrides" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="overrides">Settings written last into this phone's file</label>
  <textarea id="overrides" name="overrides" rows="4"{{' aria-invalid=true' if errors.get('overrides') else ''}}>{{values.get('overrides', '')}}</textarea>
  % if errors.get('overrides'):
  <p class="field-error" id="overrides-error">{{errors['overrides']}}</p>
  % else:
  <p class="hint">name = value, in the vendor's own setting names.</p>
  % end
  <button type="submit">Save overrides</button>
</form>
% end
% if credentials:
<h2>Provisioning credentials</h2>
<dl class="facts">
  <dt>Mode</dt><dd>{{credentials.mode}} (in effect: {{credentials.effective_mode}})</dd>
  <dt>User</dt><dd><code>{{credentials.username}}</code></dd>
  % if credentials.password:
  <dt>Password</dt><dd><code>{{credentials.password}}</code></dd>
  % else:
  <dt>Password</dt><dd>none yet: choose a mode</dd>
  % end
</dl>
<form method="post" action="/phones/{{phone.mac}}/http-auth" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="mode">HTTP digest on /prov/</label>
  <select id="mode" name="mode">
  % for mode in modes:
    <option value="{{mode}}"{{' selected' if credentials.mode == mode else ''}}>{{mode}}</option>
  % end
  </select>
  % if errors.get('mode'):
  <p class="field-error" id="mode-error">{{errors['mode']}}</p>
  % end
  <button type="submit">Save mode</button>
  <button type="submit" name="renew" value="1">New password</button>
</form>
% end
% if can(Permission.CHANGE_EXTENSIONS):
<form method="post" action="/phones/{{phone.mac}}/delete" class="danger" data-confirm="Remove phone {{phone.mac}}? It gets no settings any more.">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit" class="delete">Remove phone</button>
</form>
% end
</section>
