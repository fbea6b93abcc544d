"""The service's operations on stored data, shared by the HTTP routers and the review page.

Routers translate HTTP to these calls; these functions hold the rules (who may see what,
what a decision changes, what an erasure removes), return objects, refuse with the
errors of :mod:`service.ops.errors` (never an HTTP status: :mod:`service.errors` maps
them) and never commit: the caller does. :mod:`service.ops.paging` slices every listing.
"""
