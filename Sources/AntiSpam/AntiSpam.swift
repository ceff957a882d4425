/// The anti-spam checks SIMS applies before it accepts mail. Each check is a
/// value or a small actor over `DNSResolving`, so it is tested without sockets
/// and wired into the SMTP session by the Server module.
public enum AntiSpam {}
