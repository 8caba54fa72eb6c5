% rebase('layout')
% from urllib.parse import quote
<div class="heading">
  <h1>SIP in {{name}} <span class="count">{{len(dialogs)}}</span></h1>
  <a href="/troubleshoot">Troubleshooting</a>
</div>
% if not dialogs:
<p class="empty">No SIP message in this capture (SIP over TLS is encrypted and is not shown).</p>
% else:
<div class="table-wrap">
<table class="list" id="dialogs">
  <thead><tr><th scope="col">Began ({{zone_name()}})</th><th scope="col">Request</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Final reply</th><th scope="col">Messages</th><th scope="col">Call-ID</th></tr></thead>
  <tbody>
  % for d in dialogs:
    <tr>
      <td><time datetime="{{local_moment(d['started_at']).isoformat(timespec='milliseconds')}}">{{local_moment(d['started_at']).strftime('%H:%M:%S.%f')[:-3]}}</time></td>
      <td>{{d['first_request']}}</td>
      <td>{{d['from']}}</td>
      <td>{{d['to']}}</td>
      <td>{{d['final_reply'] or 'none seen'}}</td>
      <td>{{d['messages']}}</td>
      <td><a href="/troubleshoot/captures/{{name}}?call_id={{quote(d['call_id'], safe='')}}">{{d['call_id']}}</a></td>
    </tr>
  % end
  </tbody>
</table>
</div>
% end
