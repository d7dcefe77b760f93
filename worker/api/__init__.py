"""The HTTP service: upload API, results, review actions, review page, health and metrics."""
