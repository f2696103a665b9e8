"""SMS notices to applicants (短信通知): which step facts send which message (`triggers`), the texts (`texts`,
reviewed data in engine/data/sms.toml), the outbox written in the step's own transaction (`outbox`), the
sender that claims, sends, retries and records (`sender`), the gateways it sends through (`gateways`) and the
administrators' view of the outbox (`listing`). Imports the core, the calendar, the case lifecycle's states and the
permission rules only, so the case history and the step writer can call it."""
