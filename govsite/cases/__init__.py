"""Public channels with working-day deadlines (Art. 10, 16, 18): mailboxes, error reports and
disclosure requests, handled as cases by the responsible unit."""
