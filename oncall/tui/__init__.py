"""`oncall dashboard`: the incident dashboard in the terminal (Textual).

Only this package imports textual, and only once `oncall dashboard` runs: the modules
`data`, `summary`, `timeline`, `signals`, `approvals` and `text` are plain Python that
turn a triage into what the screens show, so they are tested without a terminal and
the rest of `oncall` never pays textual's import cost. `app`, `screens/` and
`widgets/` are the Textual layer.
"""
