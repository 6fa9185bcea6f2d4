"""What both layers share: the contract between them (:mod:`~h2push.core.contract`),
the ``Link`` header's grammar (:mod:`~h2push.core.linkheader`), the story of what
h2push did for a request (:mod:`~h2push.core.story`) and the per-process caches
(:mod:`~h2push.core.caches`). Nothing here imports Django or either layer."""
