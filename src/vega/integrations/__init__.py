"""Vega and the outside world: web search, the SSRF-safe fetcher, crawling, research, Slack."""
