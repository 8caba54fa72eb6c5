% rebase('layout')
<section class="narrow">
<h1>Choose your password</h1>
% if pending:
<p class="notice">You signed in with a one-time password. Choose your own password to go on.</p>
% end
<form method="post" action="/password" class="stacked">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % for name, label, complete in fields:
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="password" autocomplete="{{complete}}" required
    % if errors.get(name):
    aria-invalid="true" aria-describedby="{{name}}-error"
    % end
  >
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % end
  % end
  <p class="hint">{{rule[0].upper() + rule[1:]}}.</p>
  <button type="submit">Save password</button>
</form>
</section>
