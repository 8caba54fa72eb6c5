% rebase('layout')
<div class="heading">
  <h1>{{summary['first_request']}} {{summary['from']}} → {{summary['to']}}</h1>
  <a href="/troubleshoot/captures/{{name}}">Every dialog in {{name}}</a>
</div>
<p>Call-ID {{flow.call_id}}; final reply: {{summary['final_reply'] or 'none seen'}}. Times are in {{zone_name()}}. Choose an arrow for the whole message.</p>
<div class="table-wrap ladder-wrap">
{{!ladder}}
</div>
<section>
<h2>Messages</h2>
<ol id="messages">
% for index, m in enumerate(flow.messages):
  <li id="message-{{index}}" class="sip-message">
    <a href="#message-{{index}}"><time datetime="{{local_moment(m.at).isoformat(timespec='milliseconds')}}">{{local_moment(m.at).strftime('%H:%M:%S.%f')[:-3]}}</time> {{m.source}} → {{m.destination}} ({{m.transport}}): {{m.first_line}}</a>
    <pre class="preview">{{m.text}}</pre>
  </li>
% end
</ol>
</section>
