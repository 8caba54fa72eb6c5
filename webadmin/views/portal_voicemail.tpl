% rebase('layout')
<h1>{{title}}</h1>
% include('portal_nav')
% if done:
<p class="notice" role="status" id="done">{{done}}</p>
% end
% if errors.get('form'):
<p class="error" role="alert">{{errors['form']}}</p>
% end
% if mailbox is None:
<p class="empty" id="no-mailbox">Your extension has no mailbox. Ask your administrator to set one up.</p>
% else:
<p>{{mailbox.new_messages}} new, {{mailbox.old_messages}} old. From your own phone, dial *97 to hear them.</p>
% if not messages:
<p class="empty" id="no-messages">No messages.</p>
% else:
<div class="table-wrap">
<table class="list" id="messages">
  <thead><tr>
    <th scope="col">From</th><th scope="col">Received</th><th scope="col">Length</th><th scope="col">Message</th><th scope="col"></th>
  </tr></thead>
  <tbody>
  % for m in messages:
    <tr class="{{'old' if m.heard else 'new'}}">
      <td>{{m.caller_name + ' ' if m.caller_name else ''}}{{m.caller or 'unknown'}}{{'' if m.heard else ' (new)'}}</td>
      <td><time datetime="{{m.received_at}}">{{local_clock(m.received_at)[:16]}} {{zone_name()}}</time></td>
      <td>{{int(m.duration_s)}} s</td>
      <td>
        <audio controls preload="none" src="/portal/voicemail/{{m.id}}/audio"></audio>
        <a href="/portal/voicemail/{{m.id}}/audio?save=1" download>Download</a>
        % if m.transcript:
        <p class="transcript" id="transcript-{{m.id}}">{{m.transcript}}</p>
        % end
      </td>
      <td>
        <form method="post" action="/portal/voicemail/{{m.id}}/delete" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit" class="delete">Delete</button>
        </form>
      </td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
<section class="narrow">
<h2>Transcription</h2>
<form method="post" action="/portal/voicemail/transcribe" class="stacked" id="transcribe-form" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label class="check"><input type="checkbox" id="transcribe" name="transcribe"{{' checked' if mailbox.transcribe else ''}}> Turn my new messages into text</label>
  <p class="hint">The text shows under each message here and in its e-mail.{{'' if transcription_active else ' Transcription is off on this system: your choice counts once your administrator turns it on.'}}</p>
  <button type="submit">Save</button>
</form>
<h2>PIN</h2>
<form method="post" action="/portal/voicemail/pin" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % for name in ('pin', 'pin_again'):
  % label = labels[name]
  <label for="{{name}}">{{label}}</label>
  <input id="{{name}}" name="{{name}}" type="password" inputmode="numeric" autocomplete="new-password"{{!' aria-invalid="true" aria-describedby="%s-error"' % name if errors.get(name) else ''}}>
  % if errors.get(name):
  <p class="field-error" id="{{name}}-error">{{errors[name]}}</p>
  % end
  % end
  <p class="hint">4 to 10 digits; your phone asks for it when you dial *97.</p>
  <button type="submit">Change PIN</button>
</form>
<h2>Greetings</h2>
<p>Callers hear your greeting when you are busy or do not answer; without one, they hear the default.</p>
<ul id="greetings">
% for reason in reasons:
  <li>{{reason.capitalize()}}: {{'your own' if reason in mailbox.greetings else 'the default'}}
  % if reason in mailbox.greetings:
    <form method="post" action="/portal/voicemail/greeting/{{reason}}/delete" class="inline">
      <input type="hidden" name="csrf_token" value="{{csrf_token}}">
      <button type="submit">Use the default</button>
    </form>
  % end
  </li>
% end
</ul>
<form method="post" action="/portal/voicemail/greeting" enctype="multipart/form-data" class="stacked" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  <label for="reason">{{labels['reason']}}</label>
  <select id="reason" name="reason"{{!' aria-invalid="true" aria-describedby="reason-error"' if errors.get('reason') else ''}}>
  % for reason in reasons:
    <option value="{{reason}}">{{'When I am busy' if reason == 'busy' else 'When I do not answer'}}</option>
  % end
  </select>
  % if errors.get('reason'):
  <p class="field-error" id="reason-error">{{errors['reason']}}</p>
  % end
  <label for="file">{{labels['file']}} (WAV or MP3, at most 10 minutes)</label>
  <input id="file" name="file" type="file" accept=".wav,.mp3,audio/wav,audio/mpeg"{{!' aria-invalid="true" aria-describedby="file-error"' if errors.get('file') else ''}}>
  % if errors.get('file'):
  <p class="field-error" id="file-error">{{errors['file']}}</p>
  % end
  <button type="submit">Upload greeting</button>
</form>
</section>
% end
