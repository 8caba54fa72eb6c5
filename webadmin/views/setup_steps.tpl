<h1>{{title}}</h1>
<ol class="steps" aria-label="Steps">
% names = [name for name, _ in steps]
% for name, label in steps:
  <li class="{{'current' if name == step else ('done' if names.index(name) < names.index(step) else '')}}">{{label}}</li>
% end
</ol>
