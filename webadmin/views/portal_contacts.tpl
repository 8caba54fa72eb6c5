% rebase('layout')
<h1>{{title}}</h1>
% include('portal_nav')
% include('contact_list')
