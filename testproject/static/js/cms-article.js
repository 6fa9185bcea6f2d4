// h2push test project: only the CMS route's article pages load this script.
document.documentElement.dataset.template = "article";
