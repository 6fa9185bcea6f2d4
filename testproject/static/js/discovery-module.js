// h2push test project: a module script of the discovery pages (hinted as
// rel=modulepreload). It marks the page once it ran.
document.documentElement.dataset.module = "ran";
