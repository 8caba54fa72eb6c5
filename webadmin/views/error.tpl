% rebase('layout')
<section class="narrow">
<h1>{{title}}</h1>
<p>{{message}}</p>
<p><a href="/">Back to the start page</a></p>
</section>
