% rebase('layout')
<section class="narrow">
<h1>{{title}}</h1>
<dl class="facts">
  <dt>User name</dt><dd>{{extension.number}}</dd>
  <dt>Name</dt><dd>{{extension.display_name}}</dd>
  % if password:
  <dt>SIP password</dt><dd><code id="sip-password" class="secret">{{password}}</code> <button type="button" class="copy" data-copy="sip-password" hidden>Copy</button></dd>
  % end
</dl>
% if password:
<p class="notice">This password is shown once. Enter it in the phone now, or note it somewhere safe.</p>
% else:
<p class="notice">The SIP password was shown once, when the extension was added. To give a phone a new one, run <code>edgepbx extension set-password {{extension.number}}</code>.</p>
% end
<p><a class="button" href="/extensions/{{extension.number}}">Open extension {{extension.number}}</a> <a href="/extensions">Back to the list</a></p>
</section>
