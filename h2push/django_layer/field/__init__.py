"""Learning from the browsers that load each page (``H2PUSH_FIELD``, off by default).

A page's script reports, when the page is left, what the browser needed first (the
Largest Contentful Paint's image) and which of the page's hints it used; h2push
answers the report itself, keeps a bounded number of samples per route and viewport
group, and once enough distinct visitors agree, hints the LCP image and drops hints
nobody used. The pieces:

- :mod:`~h2push.django_layer.field.sample`: what one report says, once checked;
- :mod:`~h2push.django_layer.field.token`: the token a page carries, so that only a
  page h2push served can report on its route;
- :mod:`~h2push.django_layer.field.beacon`: the checks a report must pass;
- :mod:`~h2push.django_layer.field.clients`: who sent it (a keyed hash of the
  address) and the one-sample-per-client-per-window rule;
- :mod:`~h2push.django_layer.field.samples`: the bounded samples and the quorum.
"""
