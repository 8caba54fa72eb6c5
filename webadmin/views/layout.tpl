<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · edgepbx</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
<script src="/static/upload.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/">edgepbx</a>
  % if principal is not None:
  <nav>
    % if principal.extension is not None:
    <a href="/portal">My extension</a>
    % end
    % if can(Permission.VIEW_EXTENSIONS):
    <a href="/dashboard">Dashboard</a>
    <a href="/extensions">Extensions</a>
    <a href="/phones">Phones</a>
    % end
    % if can(Permission.VIEW_CONTACTS):
    <a href="/contacts">Contacts</a>
    % end
    % if can(Permission.MANAGE_ACCOUNTS):
    <a href="/accounts">Accounts</a>
    % end
    % if can(Permission.VIEW_MEDIA):
    <a href="/voicemail">Voicemail</a>
    <a href="/ivr">IVR</a>
    <a href="/conference">Conference</a>
    <a href="/paging">Paging</a>
    <a href="/queues">Queues</a>
    % end
    % if can(Permission.VIEW_CALL_ROUTING):
    <a href="/trunks">Trunks</a>
    <a href="/call-rules">Call rules</a>
    <a href="/speed-dials">Speed dials</a>
    <a href="/feature-codes">Feature codes</a>
    <a href="/calls">Calls</a>
    % end
    % if can(Permission.VIEW_MONITOR):
    <a href="/monitor">Monitor</a>
    % end
    % if can(Permission.VIEW_REPORTS):
    <a href="/reports">Reports</a>
    % end
    % if can(Permission.VIEW_AUDIT_LOG):
    <a href="/audit">Audit log</a>
    % end
    % if can(Permission.VIEW_SECURITY):
    <a href="/security">Security</a>
    % end
    % if can(Permission.VIEW_EVENTS):
    <a href="/events">Events</a>
    % end
    % if can(Permission.VIEW_FIRMWARE) or can(Permission.VIEW_SYSTEM_SETTINGS):
    <a href="/system">System</a>
    % end
    % if can(Permission.VIEW_SYSTEM_SETTINGS):
    <a href="/storage">Storage</a>
    % end
    % if can(Permission.VIEW_NETWORK):
    <a href="/network">Network</a>
    % end
    % if can(Permission.CHANGE_SYSTEM_SETTINGS):
    <a href="/troubleshoot">Troubleshooting</a>
    <a href="/logs">Logs</a>
    % end
    <a href="/account">{{principal.name}}</a>
    <form method="post" action="/signout" class="inline">
      <input type="hidden" name="csrf_token" value="{{csrf_token}}">
      <button type="submit" class="link">Sign out</button>
    </form>
  </nav>
  % end
</header>
<main>
% if notice:
<p class="notice" role="status">{{notice}}</p>
% end
{{!base}}
</main>
</body>
</html>
