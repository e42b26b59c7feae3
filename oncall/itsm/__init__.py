"""Tickets and pages for correlated incidents: ServiceNow, PagerDuty, Jira Service
Management and Slack.

The point of correlation is fewer tickets: one record per real incident instead of one
per alert. Each integration module takes an injected `httpx.Client` (tests hand in a
`MockTransport`, nothing here opens sockets by itself), reads credentials from the
environment only, and is idempotent by the incident's correlation id, so running the
sync twice never opens a second ticket. `sync.Ticketing` drives them all; `report`
turns the audit log and saved triages into the operating numbers.
"""
