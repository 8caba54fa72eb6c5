<nav class="steps" aria-label="Your portal">
% for path, label in sections:
  <a href="{{path}}">{{label}}</a>
% end
</nav>
