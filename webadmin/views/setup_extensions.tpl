% rebase('layout')
<section>
% include('setup_steps')
% if created is not None:
<p class="notice" role="status">{{counted(len(created), 'extension')}} added. Enter each SIP password in its phone now: they are shown this once.</p>
<div class="table-wrap">
<table class="list imported">
  <thead><tr><th scope="col">Number</th><th scope="col">Name</th><th scope="col">SIP password</th></tr></thead>
  <tbody>
  % for c in created:
  <tr><td>{{c.extension.number}}</td><td>{{c.extension.display_name}}</td><td><code class="sip-password" data-number="{{c.extension.number}}">{{c.generated_password}}</code></td></tr>
  % end
  </tbody>
</table>
</div>
<p><a class="button" href="/extensions" id="setup-finish">Go to the extensions</a></p>
% else:
<p>Add the first extensions now (more later, one by one or from a CSV file).</p>
% if errors.get('form'):
<p class="error" role="alert" id="setup-extensions-error">{{errors['form']}}</p>
% end
% if errors.get('csv'):
<p class="error" role="alert">{{errors['csv']}}</p>
% end
% if errors.get('rows'):
<ul class="rows-errors" id="import-rows">
  % for e in errors['rows']:
  <li>Row {{e.row}}: {{e.message}}</li>
  % end
</ul>
% end
<form method="post" action="/setup/extensions" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <div class="table-wrap">
  <table class="list">
    <thead><tr><th scope="col">Number</th><th scope="col">Name</th><th scope="col">E-mail (optional)</th></tr></thead>
    <tbody>
    % for i, row in enumerate(rows):
    <tr>
      <td><input id="number_{{i}}" name="number_{{i}}" value="{{row.get('number', '')}}" inputmode="numeric" aria-label="Number, row {{i + 1}}"></td>
      <td><input id="display_name_{{i}}" name="display_name_{{i}}" value="{{row.get('display_name', '')}}" aria-label="Name, row {{i + 1}}"></td>
      <td><input id="email_{{i}}" name="email_{{i}}" type="email" value="{{row.get('email', '')}}" aria-label="E-mail, row {{i + 1}}"></td>
    </tr>
    % end
    </tbody>
  </table>
  </div>
  <button type="submit" id="extensions-add">Add and finish</button>
</form>
<form method="post" action="/setup/extensions" class="inline">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <input type="hidden" name="skip" value="1">
  <button type="submit">Finish without extensions</button>
</form>
% end
</section>
