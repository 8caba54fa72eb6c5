% rebase('layout')
<section class="narrow">
% include('setup_steps')
<form method="post" action="/setup/timezone" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="timezone">Time zone</label>
  <select id="timezone" name="timezone"{{' aria-invalid=true' if errors.get('timezone') else ''}}>
  % for zone in zones:
    <option{{' selected' if zone == chosen else ''}}>{{zone}}</option>
  % end
  </select>
  % if errors.get('timezone'):
  <p class="field-error">{{errors['timezone']}}</p>
  % else:
  <p class="hint">Call logs and voicemail are dated in it.</p>
  % end
  <button type="submit">Next</button>
</form>
</section>
