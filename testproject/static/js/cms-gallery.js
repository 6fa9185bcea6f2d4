// h2push test project: only the CMS route's gallery pages load this script.
document.documentElement.dataset.template = "gallery";
