% rebase('layout')
<section class="narrow">
<h1>{{title}}</h1>
% include('portal_nav')
<p class="hint">Where calls to your extension {{number}} go when you cannot take them. An outside number is dialled as if you dialled it yourself.</p>
% include('call_features', features_action=action, features_editable=True)
</section>
