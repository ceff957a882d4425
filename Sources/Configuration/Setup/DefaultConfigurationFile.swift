/// The commented sims.toml written by `sims init` and the first `sims serve`.
/// Every key is explained in docs/configuration.md.
enum DefaultConfigurationFile {
    static func text(hostname: String) -> String {
        """
        # SIMS configuration. Every key is documented in docs/configuration.md.
        # Check this file with: sims config check --data <this directory>
        # Local domains, accounts and aliases are not here: they live in
        # sims.sqlite and are changed with 'sims domain|account|alias', live.

        # The name this server gives in its greeting, EHLO and Received headers.
        hostname = "\(hostname)"

        [smtp]
        # Where mail from other servers arrives. Loopback high port by default;
        # a production server listens on "0.0.0.0:25" and "[::]:25".
        listen = ["127.0.0.1:2525"]

        [submission]
        # Where your own users send from (RFC 6409): STARTTLS, then SMTP AUTH
        # (PLAIN or LOGIN, only inside TLS) is required for every message.
        listen = ["127.0.0.1:2587"]
        # The same with TLS from the first byte (RFC 8314; production: port 465).
        implicit_tls_listen = ["127.0.0.1:2465"]
        # Leave the sender's IP address out of the Received header of
        # authenticated submissions (privacy of your users' home addresses).
        hide_client_address = false

        [relay]
        # Mail for other domains is relayed only for an explicit reason. Clients
        # whose address is listed here may relay: single addresses, CIDR blocks
        # ("192.168.0.0/24", "2001:db8::/32") or ranges ("192.168.0.100-192.168.0.199").
        # Empty: nobody may relay. Beware of NAT (see 'sims config check').
        client_networks = []
        # POP-before-SMTP: after a POP3 login, the client's address may relay for
        # the window. Off: anyone sharing that address (NAT) could relay too, and a
        # stolen password opens relay. Prefer SMTP AUTH on the submission port.
        pop_before_smtp = false
        pop_before_smtp_window = "10m"

        [auth]
        # Brute-force protection for SMTP AUTH, per client address and account.
        delay_after = 3                  # failures before answers slow down (1 s more each, at most 10 s)
        ban_after = 10                   # failures within the window before the address is banned (421 at connect)
        ban = "15m"                      # the first ban; each new one of the same address doubles (max 24 h)
        lock_after = 10                  # failures for one account within the window before it is locked
        window = "15m"

        [antispam]
        # Checks for clients that are not trusted (not authenticated, not in
        # client_networks, not in exempt_networks). Loopback is exempt so local
        # tools work without DNS; a public server checks everyone else.
        exempt_networks = ["127.0.0.0/8", "::1"]
        helo_policy = "log"              # log | reject | score | off: a HELO name that does not resolve to the client
        verify_return_path = true        # MAIL FROM domain must exist in DNS (550 5.1.8; 450 4.1.8 if DNS fails)
        spf = "header"                   # off | header (Received-SPF, Authentication-Results) | reject (SPF fail: 550 5.7.23)
        dnsbl_check = "connect"          # connect | mail: when the client address is looked up in [[antispam.dnsbl]]
        dns_timeout = "5s"               # each DNS question waits at most half of this; no answer passes (fail open)
        score_reject = 5.0               # refuse when the "score" actions add up to this (0: never)
        score_junk = 0                   # deliver to the Junk folder from this score (below score_reject; 0: never)
        # [[antispam.dnsbl]]
        # zone = "zen.spamhaus.org"
        # listed = ["127.0.0.2-127.0.0.11"]
        # action = "reject"              # or "score" with score = 3.0
        # kind = "ip"                    # or "domain": the MAIL FROM domain (RHSBL)

        [antispam.tarpit]
        # Recipient probing: unknown recipients beyond the free ones are answered
        # ever more slowly; at drop_after the session is dropped (421) and the
        # address starts slowed down for the penalty.
        free_unknown_recipients = 3
        first_delay = "1s"
        maximum_delay = "10s"
        drop_after = 10
        penalty = "30m"

        [antispam.greylisting]
        enabled = false
        delay = "5m"
        retry_window = "4h"
        expiry = "35d"

        [queue]
        retry_schedule = ["5m", "10m", "20m", "40m", "1h"]   # the last delay repeats
        maximum_lifetime = "5d"          # then undelivered recipients are bounced
        concurrency = 20                 # deliveries at once
        concurrency_per_domain = 10      # deliveries at once to one domain

        [delivery]
        dns_servers = []                 # "address:port"; empty: /etc/resolv.conf
        port = 25                        # the port of remote MX hosts
        relay_host = ""                  # "host:port" to send everything through (smarthost)
        relay_host_username = ""         # SMTP AUTH at the relay host (inside TLS only)
        relay_host_password_file = ""    # file holding that password
        tls = "opportunistic"            # "opportunistic", "required" or "none"
        connect_timeout = "30s"

        [delivery.routes]
        # Per-domain routes, tried before MX lookups:
        # "example.net" = "192.0.2.25:25"

        [pop3]
        # Where users read their mail (RFC 1939): STLS on listen, TLS from the
        # first byte on implicit_tls_listen. Production: 110 and 995.
        listen = ["127.0.0.1:2110"]
        implicit_tls_listen = ["127.0.0.1:2995"]
        allow_plaintext = false          # USER/PASS and AUTH without TLS (not recommended)
        timeout = "10m"                  # RFC 1939 autologout timer, at least 10 minutes

        [imap]
        # Where users read their mail with folders (RFC 9051): STARTTLS on
        # listen, TLS from the first byte on implicit_tls_listen. Production:
        # 143 and 993. The Maildirs are laid out as Dovecot lays them out.
        listen = ["127.0.0.1:2143"]
        implicit_tls_listen = ["127.0.0.1:2993"]
        allow_plaintext = false          # LOGIN and AUTHENTICATE without TLS (not recommended)
        timeout = "30m"                  # autologout of an idle client, at least 30 minutes
        max_sessions_per_account = 20

        [tls]
        # PEM files, relative to this directory. A self-signed pair is made on
        # first run; replace them with a real certificate for your host name.
        certificate = "tls/cert.pem"
        key = "tls/key.pem"

        # Or a certificate from an ACME CA such as Let's Encrypt (RFC 8555),
        # ordered and renewed by SIMS, validated on port 80 (HTTP-01):
        # [tls.acme]
        # directory = "https://acme-v02.api.letsencrypt.org/directory"
        # contact = ["mailto:postmaster@example.org"]
        # domains = ["mx.example.org"]       # default: hostname
        # http_listen = "0.0.0.0:80"

        [limits]
        command_line_length = 512        # octets with CRLF (RFC 5321 minimum: 512)
        text_line_length = 1000          # octets with CRLF (RFC 5321 minimum: 1000)
        message_size = 26214400          # octets, advertised as SIZE
        recipients_per_message = 100     # more get 452 4.5.3
        errors_per_session = 10          # then 421 and disconnect
        commands_per_session = 10000     # then 421 and disconnect
        connections = 1000               # open at once, in total
        connections_per_ip = 50          # open at once, from one client address
        received_headers = 50            # more: refused as a mail loop (554 5.4.6)
        message_memory = 1048576         # message text held in memory per session; more goes to disk

        [limits.rate]
        # Per client address (unchecked clients) and per authenticated user; 0 = off.
        # Over a limit: 421 4.7.0 at connect, 451 4.7.1 at MAIL or RCPT.
        connections_per_minute = 0
        messages_per_hour = 0
        recipients_per_hour = 0
        user_messages_per_hour = 0       # a stolen password cannot send a million spams
        user_recipients_per_hour = 0

        [timeouts]
        greeting_delay = "0s"            # wait before the greeting; clients that talk first are dropped
        command = "5m"                   # RFC 5321 4.5.3.2.7
        data_block = "3m"                # RFC 5321 4.5.3.2.5
        shutdown_grace = "30s"           # how long a shutdown waits for messages in transfer
        minimum_data_rate = 1024         # bytes/s of message text after data_rate_grace; 0 = off
        data_rate_grace = "30s"
        session = "1h"                   # no connection lasts longer
        idle_eviction = "10s"            # when every slot is taken, close a session idle this long

        [log]
        # 1 failures, 2 major events, 3 problems, 4 low level (dialogue), 5 all.
        level = 2
        directory = "log"
        stderr = true

        [log.modules]
        # Per-module levels override log.level: SMTP SUBMIT POP3 QUEUE DELIVERY DNS POLICY ADMIN SYSTEM
        # SMTP = 4

        [storage]
        io_threads = 16                  # threads that write and fsync mail
        sync = "group"                   # "group": one syncfs shared by concurrent deliveries; "fsync": per file
        mail_directory = "mail"          # mail/DOMAIN/USER/Maildir
        queue_directory = "queue"        # the outbound spool
        database = "sims.sqlite"
        quota = 0                        # bytes each account may store (452 4.2.2 at RCPT when full); 0: no limit

        """
    }
}
