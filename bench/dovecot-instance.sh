#!/usr/bin/env bash
# Sets up and starts a private Dovecot POP3 or IMAP server on 127.0.0.1:PORT
# serving one Maildir (plaintext USER/PASS, IMAP LOGIN and AUTH PLAIN
# allowed, no TLS), in the background (the script returns once PORT accepts):
#   start DIR PORT USER PASSWORD [PROTOCOL [MAILDIR]]
#       PROTOCOL: pop3 (the default) or imap.
#       MAILDIR: the mail; default DIR/Maildir. Config, sockets, state, log
#       and dovecot.pid are in DIR. Folders are Maildir++ (.Sent, .Archive).
#   stop DIR
# As root, Dovecot runs neither its login process nor mail access as root:
# both run as nobody, who then owns the Maildir.
set -euo pipefail
action=$1 dir=$2
case "$action" in
start)
  port=$3 user=$4 password=$5 protocol=${6:-pop3} maildir=${7:-$2/Maildir}
  case "$protocol" in
  pop3) listener=pop3 tls_listener=pop3s ;;
  imap) listener=imap tls_listener=imaps ;;
  *) echo "dovecot-instance.sh: protocol must be pop3 or imap, not $protocol" >&2; exit 2 ;;
  esac
  if [ "$(id -u)" = 0 ]; then
    mail_user=nobody internal_user=root
  else
    mail_user=$(id -un) internal_user=$(id -un)
  fi
  uid=$(id -u "$mail_user") gid=$(id -g "$mail_user")
  mkdir -p "$dir" "$maildir/new" "$maildir/cur" "$maildir/tmp"
  chmod 755 "$dir"
  chown -R "$uid:$gid" "$maildir"
  printf '%s:{PLAIN}%s\n' "$user" "$password" > "$dir/passwd"
  cat > "$dir/dovecot.conf" <<CF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = $protocol
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = $internal_user
default_internal_group = $(id -gn "$internal_user")
default_login_user = $mail_user
first_valid_uid = 1
mail_location = maildir:$maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dir/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/home
}
service $protocol-login {
  inet_listener $listener {
    address = 127.0.0.1
    port = $port
  }
  inet_listener $tls_listener {
    port = 0
  }
}
CF
  dovecot -F -c "$dir/dovecot.conf" >"$dir/dovecot.out" 2>&1 &
  echo $! > "$dir/dovecot.pid"
  for _ in $(seq 200); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && exit 0; sleep 0.05; done
  echo "dovecot did not start:" >&2; cat "$dir/dovecot.out" "$dir/dovecot.log" >&2 2>/dev/null; exit 1
  ;;
stop)
  if [ -f "$dir/dovecot.pid" ]; then
    pid=$(cat "$dir/dovecot.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  ;;
esac
