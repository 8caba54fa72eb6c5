% rebase('layout')
<h1>Storage</h1>
<p>The data partition holds {{size_text(usage.disk_total)}}; {{size_text(usage.disk_free)}}
is free ({{f"{usage.disk_used_percent:.0f}"}}% used). Past 95% the box removes
the oldest logs, backups and recordings on its own; the events warn earlier.</p>
<div class="table-wrap">
<table class="list" id="usage">
  <thead><tr><th scope="col">Kind</th><th scope="col">Size</th><th scope="col">Share of the disk</th><th scope="col">Items</th></tr></thead>
  <tbody>
  % for kind in usage.kinds:
    <tr>
      <th scope="row">{{kind.label}}</th>
      <td>{{size_text(kind.bytes)}}</td>
      <td><progress max="{{usage.disk_total}}" value="{{kind.bytes}}" aria-label="{{kind.label}}: share of the disk">{{size_text(kind.bytes)}}</progress></td>
      <td>{{kind.items}}</td>
    </tr>
  % end
  </tbody>
</table>
</div>

% if cleanups is not None:
<section role="status" class="notice" id="cleaned">
% if not cleanups:
<p>No retention or quota is set: nothing was removed.</p>
% else:
<ul>
% for done in cleanups:
  <li>{{labels[done.kind]}}: {{counted(done.removed, "item")}} removed by {{done.reason}}, {{size_text(done.freed_bytes)}} freed</li>
% end
</ul>
% end
</section>
% end

<h2>How long each kind is kept</h2>
<p>Older data goes first. Empty keeps everything. Voicemail greetings and the
newest scheduled backup always stay; the backup schedule's own count applies
too, whichever is stricter.</p>
% if errors.get('form'):
<p class="field-error" role="alert">{{errors['form']}}</p>
% end
% for kind in kinds:
% rule = policy[kind]
<section id="{{kind}}" class="narrow">
<h3>{{labels[kind]}}</h3>
<p class="hint">{{counted(counts[kind]['cleanups'], 'clean-up')}} so far, {{counts[kind]['removed']}} removed.</p>
% if editable:
<form method="post" action="/storage/{{kind}}" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % for name, label, hint in (('max_days', 'Days kept', '1 to 3650'), ('max_mb', 'Most MB kept', 'at most the disk\'s size')):
  % key = f"{kind}.{name}"
  <label for="{{kind}}-{{name}}">{{label}}</label>
  <input id="{{kind}}-{{name}}" name="{{name}}" type="text" inputmode="numeric" value="{{'' if rule[name] is None else rule[name]}}"{{' aria-invalid=true' if errors.get(key) else ''}}>
  % if errors.get(key):
  <p class="field-error" id="{{kind}}-{{name}}-error">{{errors[key]}}</p>
  % else:
  <p class="hint">{{hint}}; empty for no limit</p>
  % end
  % end
  <button type="submit">Save {{labels[kind].lower()}}</button>
</form>
% else:
<p>{{f"{rule['max_days']} day{'' if rule['max_days'] == 1 else 's'}" if rule['max_days'] else "Every day"}}, {{f"at most {rule['max_mb']} MB" if rule['max_mb'] else "any size"}}.</p>
% end
</section>
% end
% if editable:
<form method="post" action="/storage-clean">
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <button type="submit">Clean up now</button>
</form>
% end
