% rebase('layout')
<section class="narrow">
<h1>{{title}}</h1>
% if secret:
<dl class="facts">
  <dt>{{what}}</dt><dd><code id="secret" class="secret">{{secret}}</code> <button type="button" class="copy" data-copy="secret" hidden>Copy</button></dd>
</dl>
<p class="notice">Shown this once. {{about}}</p>
% else:
<p class="notice">It was shown once, when it was made; it cannot be shown again.</p>
% end
<p><a href="{{back}}">Back</a></p>
</section>
