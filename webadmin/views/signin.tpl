% rebase('layout')
<section class="narrow">
<h1>Sign in</h1>
% if errors.get('form'):
<p class="error" role="alert" id="form-error">{{errors['form']}}</p>
% end
<form method="post" action="/signin" class="stacked">
  <input type="hidden" name="csrf_token" value="{{signin_token}}">
  <input type="hidden" name="next" value="{{next}}">
  <label for="username">User name, or your extension number or e-mail</label>
  <input id="username" name="username" value="{{username}}" autocomplete="username" autocapitalize="none" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
<p class="hint">The first time, sign in as <code>admin</code> with the one-time password that <code>make run</code> printed (or <code>edgepbx admin reset-password</code> prints a new one).</p>
</section>
