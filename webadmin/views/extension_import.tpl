% rebase('layout')
<section class="narrow">
<h1>{{title}}</h1>
% if created:
<p class="notice" role="status">{{counted(len(created), 'extension')}} imported. The generated SIP passwords are shown this once.</p>
<div class="table-wrap">
<table class="list imported">
  <thead><tr><th scope="col">Number</th><th scope="col">Name</th><th scope="col">SIP password</th></tr></thead>
  <tbody>
  % for c in created:
  <tr><td><a href="/extensions/{{c.extension.number}}">{{c.extension.number}}</a></td><td>{{c.extension.display_name}}</td><td><code>{{c.generated_password or '(as given)'}}</code></td></tr>
  % end
  </tbody>
</table>
</div>
<p><a href="/extensions">Back to the list</a></p>
% else:
% include('import_form', import_action='/extensions/import')
% end
</section>
