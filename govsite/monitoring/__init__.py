"""24-hour monitoring, findings, duty and incidents (Art. 23, 24, 25)."""
