"""Discovery: what h2push reads from a page's HTML and its stylesheets."""
