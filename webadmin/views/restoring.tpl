% rebase('layout')
<section class="narrow">
<h1>Restoring the backup</h1>
<p class="notice" role="status" id="restoring">The box is stopping its services to restore the backup
made on {{local_clock(report.manifest.created_at)}} ({{report.files}} files), and starts again
in a minute or so. This page does not answer meanwhile.</p>
<p>Then <a href="/system">open the System page</a> again; you may have to sign in with
the backup's password.</p>
</section>
