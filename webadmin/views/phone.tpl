% rebase('layout')
<section class="narrow">
<h1>{{title}}</h1>
<dl class="facts">
  <dt>Phone</dt><dd>{{phone.vendor}} {{phone.model}}</dd>
  <dt>Lines</dt><dd>{{', '.join(phone.extensions) or 'none'}}</dd>
  <dt>Configuration version</dt><dd>{{phone.config_version}}</dd>
  % if phone.last_request_at:
  <dt>Last fetch</dt><dd><code>{{phone.last_request_file}}</code> at {{phone.last_request_at}} from {{phone.last_request_ip}}</dd>
  <dt>User agent</dt><dd>{{phone.last_user_agent or 'not sent'}}</dd>
  % else:
  <dt>Last fetch</dt><dd>never</dd>
  % end
  % if admin_password:
  <dt>Admin password</dt><dd><code>{{admin_password}}</code> (user admin, for the phone's own web page)</dd>
  % end
</dl>
% if can(Permission.CHANGE_EXTENSIONS):
<form method="post" action="/phones/{{phone.mac}}/delete" class="danger" data-confirm="Remove phone {{phone.mac}}? It gets no settings any more.">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit" class="delete">Remove phone</button>
</form>
% end
</section>
