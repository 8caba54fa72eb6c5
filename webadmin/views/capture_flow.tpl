% rebase('layout')
% import datetime as dt
<div class="heading">
  <h1>{{summary['first_request']}} {{summary['from']}} → {{summary['to']}}</h1>
  <a href="/troubleshoot/captures/{{name}}">Every dialog in {{name}}</a>
</div>
<p>Call-ID {{flow.call_id}}; final reply: {{summary['final_reply'] or 'none seen'}}. Choose an arrow for the whole message.</p>
<div class="table-wrap ladder-wrap">
{{!ladder}}
</div>
<section>
<h2>Messages</h2>
<ol id="messages">
% for index, m in enumerate(flow.messages):
  <li id="message-{{index}}" class="sip-message">
    <a href="#message-{{index}}">{{dt.datetime.fromtimestamp(m.at, dt.UTC).strftime('%H:%M:%S.%f')[:-3]}} {{m.source}} → {{m.destination}} ({{m.transport}}): {{m.first_line}}</a>
    <pre class="preview">{{m.text}}</pre>
  </li>
% end
</ol>
</section>
