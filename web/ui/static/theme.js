// Applies the saved theme (or the system's) before the first paint, so a dark
// page never flashes white. A file, not an inline script: the CSP allows
// scripts from this origin only. Kept in sync with src/lib/theme.ts.
(function () {
	var choice = null;
	try {
		choice = localStorage.getItem('pulsar-theme');
	} catch (e) {}
	var dark =
		choice === 'dark' ||
		(choice !== 'light' && window.matchMedia('(prefers-color-scheme: dark)').matches);
	document.documentElement.classList.toggle('dark', dark);
})();
