% rebase('layout')
<section class="narrow">
<h1>Your account</h1>
<dl class="facts">
  <dt>User name</dt><dd>{{principal.name}}</dd>
  <dt>Role</dt><dd>{{principal.role_title}}</dd>
</dl>
<p><a class="button" href="/password">Change your password</a></p>
% if not can(Permission.VIEW_EXTENSIONS):
<p class="hint">Your own voicemail and call forwarding will be managed here; that portal is not built yet.</p>
% end
</section>
