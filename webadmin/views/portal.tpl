% rebase('layout')
<section class="narrow">
<h1>{{title}}</h1>
% include('portal_nav')
<dl class="facts" id="profile">
  <dt>Extension</dt><dd>{{extension.number}}</dd>
  <dt>Name</dt><dd>{{extension.display_name}}</dd>
  <dt>E-mail</dt><dd>{{extension.email or 'none'}}</dd>
  <dt>Status</dt><dd>{{'enabled' if extension.enabled else 'disabled by the administrator'}}</dd>
</dl>
<p class="hint">Your name and e-mail address are kept by the administrator; ask them to change these.</p>
</section>
