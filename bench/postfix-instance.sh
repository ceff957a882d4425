#!/usr/bin/env bash
# Sets up and starts a private Postfix instance on 127.0.0.1:PORT, with its
# default durability (queue file fsync, Maildir fsync by the virtual agent):
#   start DIR PORT            accepts mail for example.test into one Maildir
#   start DIR PORT RELAYHOST  relays everything from 127.0.0.0/8 to RELAYHOST (host:port)
#   stop DIR
# PORT may be ADDRESS:PORT (IPv4) to listen elsewhere than 127.0.0.1, e.g.
# 192.168.1.10:25 inside a test-internet host (bench/smtp-inbound-lab); the
# chroot then gets resolv.conf and hosts as Debian's init script gives it, so
# smtpd looks up its clients as a production Postfix does. POSTFIX_DOMAIN
# (default example.test) is the domain whose mail goes to the one Maildir.
set -euo pipefail
action=$1 dir=$2
case "$action" in
start)
  port=$3 relayhost=${4:-} address=127.0.0.1 domain=${POSTFIX_DOMAIN:-example.test}
  case "$port" in *:*) address=${port%:*} port=${port##*:} ;; esac
  # Postfix's scripts read the default main.cf even for another config
  # directory; the "No configuration" install has none, so give it an inert one.
  if [ ! -f /etc/postfix/main.cf ]; then
    printf 'compatibility_level = 3.6\nalternate_config_directories = %s/etc\n' "$dir" > /etc/postfix/main.cf
  elif ! grep -q "alternate_config_directories.*$dir/etc" /etc/postfix/main.cf; then
    postconf -e "alternate_config_directories = $dir/etc"
  fi
  rm -rf "$dir"; mkdir -p "$dir/etc" "$dir/queue" "$dir/data" "$dir/vmail"
  chown nobody:nogroup "$dir/vmail"; chown postfix "$dir/data"
  cp /etc/postfix/master.cf "$dir/etc/master.cf"
  cp /etc/postfix/dynamicmaps.cf "$dir/etc/" 2>/dev/null || true
  # Only our smtpd on one address and port; the default port-25 line is removed.
  sed -i -E 's/^smtp +inet.*$//' "$dir/etc/master.cf"
  echo "$address:$port inet n - y - - smtpd" >> "$dir/etc/master.cf"
  cat > "$dir/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.postfix.test
mydomain = postfix.test
myorigin = \$myhostname
mydestination =
inet_interfaces = $address
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = $domain
virtual_mailbox_base = $dir/vmail
virtual_mailbox_maps = static:postmaster/Maildir/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_destination_concurrency_limit = 20
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
alias_maps =
alias_database =
biff = no
CF
  if [ -n "$relayhost" ]; then
    host=${relayhost%:*} rport=${relayhost##*:}
    cat >> "$dir/etc/main.cf" <<CF
relayhost = [$host]:$rport
default_destination_concurrency_limit = 20
smtp_destination_concurrency_limit = 20
initial_destination_concurrency = 20
smtp_tls_security_level = none
CF
  fi
  postfix -c "$dir/etc" post-install create-missing >/dev/null 2>&1
  if [ "$address" != 127.0.0.1 ]; then
    mkdir -p "$dir/queue/etc"
    for f in resolv.conf hosts services nsswitch.conf host.conf localtime; do
      if [ -e "/etc/$f" ]; then cp -L "/etc/$f" "$dir/queue/etc/$f"; fi
    done
  fi
  postfix -c "$dir/etc" check
  postfix -c "$dir/etc" start
  ;;
stop)
  postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
  ;;
esac
