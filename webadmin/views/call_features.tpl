% # The forwarding and do-not-disturb form, on the extension's page and in
% # the user portal. Needs: features (dict, or None when not to be shown),
% # feature_errors, feature_labels, features_action, features_editable.
% from agent.extensions.features import CALL_WAITING_OFF_EFFECT, DND_COMES_FIRST, DND_EFFECT
% if features is not None:
<section id="features" aria-labelledby="features-title">
<h2 id="features-title">Call forwarding and DND</h2>
% if feature_errors.get('form'):
<p class="error" role="alert">{{feature_errors['form']}}</p>
% end
<form method="post" action="{{features_action}}" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label class="check"><input type="checkbox" id="dnd" name="dnd"{{' checked' if features.get('dnd') else ''}}{{'' if features_editable else ' disabled'}}> {{feature_labels['dnd']}}: {{DND_EFFECT}}</label>
  % if feature_errors.get('dnd'):
  <p class="field-error" id="dnd-error">{{feature_errors['dnd']}}</p>
  % else:
  <p class="hint" id="dnd-hint">Do not disturb comes first: {{DND_COMES_FIRST}}.</p>
  % end
  <label class="check"><input type="checkbox" id="call_waiting" name="call_waiting"{{' checked' if features.get('call_waiting', True) else ''}}{{'' if features_editable else ' disabled'}}> {{feature_labels['call_waiting']}}</label>
  % if feature_errors.get('call_waiting'):
  <p class="field-error" id="call_waiting-error">{{feature_errors['call_waiting']}}</p>
  % else:
  <p class="hint" id="call_waiting-hint">When off, {{CALL_WAITING_OFF_EFFECT}}.</p>
  % end
  % rows = [('forward_always', 'Rings the target instead of the phones'), ('forward_busy', 'When the phone answers busy'), ('forward_no_answer', 'After the ring time below'), ('no_answer_s', '5 to 120; 20 rings four to five times'), ('forward_unreachable', 'When every phone is off or away')]
  % for name, hint in rows:
  % label = feature_labels[name]
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="text" inputmode="tel" value="{{features.get(name, '')}}"{{'' if features_editable else ' readonly'}}{{' aria-invalid=true aria-describedby=' + name + '-error' if feature_errors.get(name) else ''}}>
  % if feature_errors.get(name):
  <p class="field-error" id="{{name}}-error">{{feature_errors[name]}}</p>
  % else:
  <p class="hint">{{hint}}{{'' if name == 'no_answer_s' else '; an extension or an outside number, empty for none'}}</p>
  % end
  % if name == 'forward_always':
  % for note in features.get('notes', []):
  <p class="note" role="status" id="forward_always-note">{{note[0].upper() + note[1:]}}.</p>
  % end
  % end
  % end
  % if features_editable:
  <button type="submit" id="save-features">Save forwarding</button>
  % end
</form>
</section>
% end
