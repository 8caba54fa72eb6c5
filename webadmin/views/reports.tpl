% rebase('layout')
% from urllib.parse import quote
<div class="heading">
  <h1>Call reports</h1>
  % if report:
  <a href="{{csv_link}}">Download CSV</a>
  <a href="{{pdf_link}}">Download PDF</a>
  % end
</div>
<form method="get" action="/reports" class="inline-search" novalidate>
  <label for="preset">Period</label>
  <select id="preset" name="preset">
    <option value="">from and to</option>
  % for choice in presets:
    <option value="{{choice}}"{{' selected' if values.get('preset') == choice else ''}}>{{choice.replace('_', ' ')}}</option>
  % end
  </select>
  <label for="from">From</label>
  <input id="from" name="from" type="date" value="{{values.get('from', '')}}"{{' aria-invalid=true' if errors.get('from') else ''}}>
  <label for="to">To</label>
  <input id="to" name="to" type="date" value="{{values.get('to', '')}}"{{' aria-invalid=true' if errors.get('to') else ''}}>
  <fieldset class="inline">
    <legend>Grouped by</legend>
  % for name in groupings:
    <label><input type="checkbox" name="group" value="{{name}}"{{' checked' if not values.get('group') or name in values.get('group') else ''}}> {{grouping_titles[name]}}</label>
  % end
  </fieldset>
  <button type="submit">Show</button>
</form>
% for name, message in errors.items():
<p class="field-error" role="alert" id="error-{{name}}">{{message}}</p>
% end
% if report:
<p class="hint" id="report-period">{{report.period.title()}} ({{report.period.timezone}}){{', extensions ' + report.extensions if report.extensions else ''}}</p>
<div class="table-wrap">
<table class="list" id="report-totals">
  <thead><tr><th scope="col">Calls</th><th scope="col">Answered</th><th scope="col">Missed</th><th scope="col">Not answered</th><th scope="col">Busy</th><th scope="col">Failed</th><th scope="col">Voicemail</th><th scope="col">Talk time</th><th scope="col">Average talk</th></tr></thead>
  <tbody><tr>
    % t = report.totals
    <td data-figure="calls">{{t.calls}}</td><td data-figure="answered">{{t.answered}}</td><td data-figure="missed">{{t.missed}}</td><td data-figure="no_answer">{{t.no_answer}}</td><td data-figure="busy">{{t.busy}}</td><td data-figure="failed">{{t.failed}}</td><td data-figure="voicemail">{{t.voicemail}}</td><td data-figure="talk">{{duration(t.talk_s)}}</td><td data-figure="average_talk">{{duration(t.average_talk_s)}}</td>
  </tr></tbody>
</table>
</div>
% for name, rows in report.groups.items():
<section id="by-{{name}}">
<h2>By {{grouping_titles[name].lower()}}</h2>
% if name == 'ring_group' and not rows:
<p class="empty">No calls to ring groups in this period.</p>
% elif not rows:
<p class="empty">No calls in this period.</p>
% else:
% if name in charts:
<figure class="chart">{{!charts[name]}}</figure>
% end
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">{{grouping_titles[name]}}</th><th scope="col">Calls</th><th scope="col">Answered</th><th scope="col">Missed</th><th scope="col">Busy</th><th scope="col">Failed</th><th scope="col">Voicemail</th><th scope="col">Talk time</th><th scope="col">Average talk</th></tr></thead>
  <tbody>
  % for row in rows:
    % f = row.figures
    <tr data-key="{{row.key}}"><th scope="row">{{row.key}}{{' ' + row.label if row.label and row.label != row.key else ''}}</th><td>{{f.calls}}</td><td>{{f.answered}}</td><td>{{f.missed}}</td><td>{{f.busy}}</td><td>{{f.failed}}</td><td>{{f.voicemail}}</td><td>{{duration(f.talk_s)}}</td><td>{{duration(f.average_talk_s)}}</td></tr>
  % end
  </tbody>
</table>
</div>
% end
</section>
% end
% if report.queues:
<section id="by-queue">
<h2>By call queue</h2>
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">Queue</th><th scope="col">Offered</th><th scope="col">Answered</th><th scope="col">Abandoned</th><th scope="col">Timed out</th><th scope="col">Average wait</th><th scope="col">Longest wait</th><th scope="col">Service level</th></tr></thead>
  <tbody>
  % for q in report.queues:
    <tr data-queue="{{q.number}}"><th scope="row">{{q.number}} {{q.name}}</th><td data-figure="offered">{{q.offered}}</td><td data-figure="answered">{{q.answered}}</td><td data-figure="abandoned">{{q.abandoned}}</td><td data-figure="timed_out">{{q.timed_out}}</td><td data-figure="average_wait">{{duration(q.average_wait_s)}}</td><td data-figure="longest_wait">{{duration(q.longest_wait_s)}}</td><td data-figure="service_level">{{'-' if q.service_level_percent is None else f'{q.service_level_percent} % within {q.service_level_s} s'}}</td></tr>
    % for a in q.agents:
    <tr data-queue-agent="{{q.number}}/{{a.extension}}"><td>agent {{a.extension}}</td><td></td><td>{{a.answered}}</td><td colspan="5">{{duration(a.talk_s)}} talking</td></tr>
    % end
  % end
  </tbody>
</table>
</div>
</section>
% end
% end
<section id="schedules">
<h2>Reports by e-mail</h2>
% if schedule_errors.get('send'):
<p class="field-error" role="alert">{{schedule_errors['send']}}</p>
% end
% if not schedules:
<p class="empty">No report is e-mailed yet.</p>
% else:
<div class="table-wrap">
<table class="list">
  <thead><tr><th scope="col">Name</th><th scope="col">Sent</th><th scope="col">To</th><th scope="col">Attached</th><th scope="col">Next</th><th scope="col">Last sent</th><th scope="col"></th></tr></thead>
  <tbody>
  % for s in schedules:
    <tr>
      <td>{{s.name}}</td><td>{{s.frequency}} at {{'%02d' % s.hour}}:00</td><td>{{', '.join(s.recipients)}}</td><td>{{', '.join(s.attachments)}}</td>
      <td>{{s.next_run.replace('T', ' ')}}</td>
      <td>{{(s.last_sent or '-').replace('T', ' ')}}{{' (failed: ' + s.last_error + ')' if s.last_error else ''}}</td>
      <td>
      % if can(Permission.MANAGE_REPORTS):
        <form method="post" action="/reports/schedules/{{quote(s.name, safe='')}}/send" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit">Send now</button>
        </form>
        <form method="post" action="/reports/schedules/{{quote(s.name, safe='')}}/remove" class="inline">
          <input type="hidden" name="csrf_token" value="{{csrf_token}}">
          <button type="submit" class="danger">Remove</button>
        </form>
      % end
      </td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
% if can(Permission.MANAGE_REPORTS):
<h3>E-mail a report</h3>
<form method="post" action="/reports/schedules" class="stacked narrow" novalidate>
  <input type="hidden" name="csrf_token" value="{{csrf_token}}">
  % for field, label, hint in (('name', 'Name', ''), ('recipients', 'Recipients', 'E-mail addresses, separated by commas.')):
  <label for="schedule-{{field}}">{{label}}</label>
  <input id="schedule-{{field}}" name="{{field}}" value="{{schedule_values.get(field, '')}}"{{' aria-invalid=true' if schedule_errors.get(field) else ''}}>
  % if schedule_errors.get(field):
  <p class="field-error">{{schedule_errors[field]}}</p>
  % elif hint:
  <p class="hint">{{hint}}</p>
  % end
  % end
  <label for="schedule-frequency">Sent</label>
  <select id="schedule-frequency" name="frequency">
  % for choice in frequencies:
    <option value="{{choice}}"{{' selected' if schedule_values.get('frequency') == choice else ''}}>{{choice}}</option>
  % end
  </select>
  % if schedule_errors.get('frequency'):
  <p class="field-error">{{schedule_errors['frequency']}}</p>
  % else:
  <p class="hint">Daily: yesterday's calls. Weekly, on Mondays: last week's. Monthly, on the 1st: last month's.</p>
  % end
  <label for="schedule-hour">At hour (0 to 23, system time zone)</label>
  <input id="schedule-hour" name="hour" inputmode="numeric" value="{{schedule_values.get('hour', '')}}"{{' aria-invalid=true' if schedule_errors.get('hour') else ''}}>
  % if schedule_errors.get('hour'):
  <p class="field-error">{{schedule_errors['hour']}}</p>
  % end
  <fieldset>
    <legend>Attached</legend>
  % for kind in attachments:
    <label><input type="checkbox" name="attach" value="{{kind}}"{{' checked' if kind in schedule_values.get('attach', []) else ''}}> {{kind.upper()}}</label>
  % end
  </fieldset>
  % if schedule_errors.get('attach'):
  <p class="field-error">{{schedule_errors['attach']}}</p>
  % end
  % if schedule_errors.get('form') or schedule_errors.get('group'):
  <p class="field-error">{{schedule_errors.get('form') or schedule_errors.get('group')}}</p>
  % end
  <button type="submit">Schedule</button>
</form>
% end
</section>
