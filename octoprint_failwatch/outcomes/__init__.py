"""After the verdict: dispatch to alerts and incident history, and the action on the print."""
