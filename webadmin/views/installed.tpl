% rebase('layout')
<section class="narrow">
<h1>Installing release {{manifest.version}}</h1>
<p class="notice" role="status" id="installed">Release {{manifest.version}} is written and read
back. The box restarts into it once; once it passes its health check it is kept, otherwise the
box returns to the release it runs now.</p>
<p><a href="/system">Open the System page</a> when it answers again.</p>
</section>
