/// Tools that answer the operator's questions from the logs and from the
/// outside: audit, explain, check-relay, blocklist lookups, doctor.
public enum Operator {}
